/* Unit tests for the QEMU-style option parser (util/option.c). */
#include "emu/osdep.h"
#include "emu/option.h"
#include <setjmp.h>
#include <cmocka.h>

static void test_implied_key(void **state)
{
    Error *err = NULL;
    EmuOpts *o = opts_parse("e1000,netdev=n0,mac=52:54:00:12:34:56",
                            "driver", false, &err);
    assert_non_null(o);
    assert_null(err);
    assert_string_equal(opts_get(o, "driver"), "e1000");
    assert_string_equal(opts_get(o, "netdev"), "n0");
    assert_string_equal(opts_get(o, "mac"), "52:54:00:12:34:56");
    assert_null(opts_get(o, "nosuch"));
    opts_free(o);
}

static void test_comma_escape(void **state)
{
    EmuOpts *o = opts_parse("file,path=/tmp/a,,b,,,append=on", "backend",
                            false, NULL);
    assert_non_null(o);
    assert_string_equal(opts_get(o, "path"), "/tmp/a,b,");
    assert_string_equal(opts_get(o, "append"), "on");
    char *s = opts_to_string(o);
    assert_string_equal(s, "backend=file,path=/tmp/a,,b,,,append=on");
    free(s);
    opts_free(o);
}

static void test_flags_and_no_prefix(void **state)
{
    EmuOpts *o = opts_parse("socket,path=/x,server,nowait", "backend", true,
                            NULL);
    assert_non_null(o);
    assert_true(opts_get_bool(o, "server", false, NULL));
    assert_false(opts_get_bool(o, "wait", true, NULL));
    opts_free(o);

    /* without allow_no_prefix, "nowait" is a flag named nowait */
    o = opts_parse("x,nowait", "a", false, NULL);
    assert_true(opts_get_bool(o, "nowait", false, NULL));
    opts_free(o);
}

static void test_last_value_wins(void **state)
{
    EmuOpts *o = opts_parse("a=1,a=2", NULL, false, NULL);
    assert_int_equal(opts_get_number(o, "a", 0, NULL), 2);
    opts_del(o, "a");
    assert_false(opts_has(o, "a"));
    opts_set(o, "b", "3");
    assert_int_equal(opts_get_number(o, "b", 0, NULL), 3);
    opts_free(o);
}

static void test_errors(void **state)
{
    Error *err = NULL;
    /* ",," inside a value is a literal comma, even before '=' */
    EmuOpts *e = opts_parse("a=1,,=2", NULL, false, &err);
    assert_non_null(e);
    assert_string_equal(opts_get(e, "a"), "1,=2");
    opts_free(e);

    /* empty key */
    EmuOpts *o = opts_parse("=5", NULL, false, &err);
    assert_null(o);
    assert_non_null(err);
    error_free(err);
    err = NULL;

    /* trailing comma gives an empty element */
    o = opts_parse("a=1,", NULL, false, &err);
    assert_null(o);
    assert_non_null(err);
    error_free(err);
    err = NULL;

    /* bad bool / number reported with the parameter name */
    o = opts_parse("server=maybe,port=12x", NULL, false, NULL);
    opts_get_bool(o, "server", false, &err);
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "server"));
    error_free(err);
    err = NULL;
    opts_get_number(o, "port", 0, &err);
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "12x"));
    error_free(err);
    opts_free(o);
}

static void test_validate(void **state)
{
    static const OptDesc desc[] = {
        { "path", OPT_STRING, NULL },
        { "server", OPT_BOOL, NULL },
        { "port", OPT_NUMBER, NULL },
        { "size", OPT_SIZE, NULL },
        { NULL, OPT_STRING, NULL },
    };
    Error *err = NULL;
    EmuOpts *o = opts_parse("path=/a,server=on,port=0x10,size=4k", NULL,
                            false, NULL);
    assert_true(opts_validate(o, desc, "chardev", &err));
    assert_int_equal(opts_get_number(o, "port", 0, NULL), 16);
    assert_int_equal(opts_get_size(o, "size", 0, NULL), 4096);
    opts_free(o);

    o = opts_parse("path=/a,bogus=1", NULL, false, NULL);
    assert_false(opts_validate(o, desc, "chardev", &err));
    assert_string_equal(error_get_pretty(err),
                        "Invalid parameter 'bogus' for chardev");
    error_free(err);
    err = NULL;
    opts_free(o);

    o = opts_parse("size=12Q", NULL, false, NULL);
    assert_false(opts_validate(o, desc, NULL, &err));
    error_free(err);
    opts_free(o);
}

static void test_unused(void **state)
{
    EmuOpts *o = opts_parse("a=1,b=2", NULL, false, NULL);
    opts_get(o, "a");
    assert_string_equal(opts_first_unused(o), "b");
    opts_get(o, "b");
    assert_null(opts_first_unused(o));
    opts_free(o);
}

static void test_parse_size(void **state)
{
    uint64_t v;
    assert_true(parse_size("512", &v, MiB));
    assert_int_equal(v, 512 * MiB);
    assert_true(parse_size("2G", &v, MiB));
    assert_int_equal(v, 2 * GiB);
    assert_true(parse_size("1.5G", &v, 1));
    assert_int_equal(v, 3 * GiB / 2);
    assert_true(parse_size("100b", &v, MiB));
    assert_int_equal(v, 100);
    assert_true(parse_size("0x1000", &v, 1));
    assert_int_equal(v, 4096);
    assert_true(parse_size("08", &v, 1));     /* decimal, not octal */
    assert_int_equal(v, 8);
    assert_false(parse_size("", &v, 1));
    assert_false(parse_size("-1", &v, 1));
    assert_false(parse_size("12X", &v, 1));
    assert_false(parse_size("1GG", &v, 1));
    assert_false(parse_size("99999999999999999999", &v, 1));
    assert_false(parse_size("17179869184G", &v, 1));   /* overflow */
}

static void test_parse_bool_uint(void **state)
{
    bool b;
    uint64_t u;
    assert_true(parse_bool("on", &b) && b);
    assert_true(parse_bool("yes", &b) && b);
    assert_true(parse_bool("off", &b) && !b);
    assert_true(parse_bool("false", &b) && !b);
    assert_false(parse_bool("On", &b));
    assert_false(parse_bool("", &b));
    assert_true(parse_uint("42", &u) && u == 42);
    assert_true(parse_uint("0xff", &u) && u == 255);
    assert_false(parse_uint("", &u));
    assert_false(parse_uint("-1", &u));
    assert_false(parse_uint("4 2", &u));
    assert_true(is_help_option("help"));
    assert_true(is_help_option("?"));
    assert_false(is_help_option("helpme"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_implied_key),
        cmocka_unit_test(test_comma_escape),
        cmocka_unit_test(test_flags_and_no_prefix),
        cmocka_unit_test(test_last_value_wins),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_unused),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_bool_uint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
