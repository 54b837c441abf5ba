/* Unit tests for the monitor: QMP protocol, HMP parsing, readline. */
#include "emu/osdep.h"
#include "chardev/char.h"
#include "monitor/monitor.h"
#include "system/runstate.h"
#include "monitor/monitor-internal.h"
#include <setjmp.h>
#include <cmocka.h>
#include "tests/unit/support/capture-chr.h"

/* ---- A chardev that records output; input is injected by the test ---- */

static Chardev *test_chr;

static Chardev *testchr_new(void)
{
    return capture_chr_new("testmon");
}

/* Everything the monitor wrote since the last call (caller frees) */
static char *take_output(void)
{
    return capture_chr_take(test_chr);
}

static void send_input(const char *s)
{
    chardev_be_deliver(test_chr, (const uint8_t *)s, (int)strlen(s));
}

/* ---- A few test-only commands ---- */

static json_object *cmd_test_args(Monitor *mon, json_object *args,
                                  Error **errp)
{
    /* echo the parsed arguments back */
    return json_object_get(args);
}

static void print_test_args(Monitor *mon, json_object *ret)
{
    char *s = qmp_to_json(ret, false);
    monitor_printf(mon, "%s\n", s);
    free(s);
}

static json_object *cmd_test_report(Monitor *mon, json_object *args,
                                    Error **errp)
{
    error_report("reported from %s", "handler");
    return NULL;
}

static json_object *cmd_test_fail(Monitor *mon, json_object *args,
                                  Error **errp)
{
    error_setg(errp, "it failed");
    return NULL;
}

static const MonitorCommand test_commands[] = {
    {
        .qmp_name = "x-test-args",
        .hmp_name = "test_args",
        .args = "force:-f,value:M,name:s?,count:i?,on:b?,rest:S?",
        .params = "[-f] value [name] [count] [on] [rest]",
        .help = "echo arguments",
        .handler = cmd_test_args,
        .hmp_print = print_test_args,
    }, {
        .hmp_name = "test_report",
        .help = "call error_report",
        .handler = cmd_test_report,
    }, {
        .qmp_name = "x-test-fail",
        .hmp_name = "test_fail",
        .help = "fail",
        .handler = cmd_test_fail,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(test_commands)

/* ---- QMP helpers ---- */

static int setup_qmp(void **state)
{
    test_chr = testchr_new();
    assert_true(monitor_init_qmp(test_chr, false, NULL));
    return 0;
}

static int setup_qmp_pretty(void **state)
{
    test_chr = testchr_new();
    assert_true(monitor_init_qmp(test_chr, true, NULL));
    return 0;
}

static int teardown(void **state)
{
    monitor_cleanup_all();
    chardev_delete(test_chr);
    test_chr = NULL;
    return 0;
}

static void qmp_connect(void)
{
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    free(take_output());
}

static void qmp_connect_negotiated(void)
{
    qmp_connect();
    send_input("{\"execute\": \"qmp_capabilities\"}\n");
    char *out = take_output();
    assert_string_equal(out, "{\"return\": {}}\r\n");
    free(out);
}

/* Parse output that must be exactly one message */
static json_object *take_one_message(void)
{
    char *out = take_output();
    size_t len = strlen(out);
    assert_true(len >= 2);
    assert_string_equal(out + len - 2, "\r\n");
    out[len - 2] = 0;
    assert_null(strstr(out, "\r\n"));
    json_object *obj = json_tokener_parse(out);
    assert_non_null(obj);
    free(out);
    return obj;
}

static json_object *qmp(const char *request)
{
    send_input(request);
    return take_one_message();
}

static const char *get_str(json_object *obj, const char *a, const char *b)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, a, &v)) {
        return NULL;
    }
    if (b && !json_object_object_get_ex(v, b, &v)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static void assert_error(json_object *rsp, const char *cls, const char *desc)
{
    assert_non_null(get_str(rsp, "error", "class"));
    assert_string_equal(get_str(rsp, "error", "class"), cls);
    assert_string_equal(get_str(rsp, "error", "desc"), desc);
    assert_false(json_object_object_get_ex(rsp, "return", NULL));
    json_object_put(rsp);
}

static void qmp_expect_error(const char *request, const char *cls,
                             const char *desc)
{
    assert_error(qmp(request), cls, desc);
}

/* ---- QMP tests ---- */

static void test_greeting(void **state)
{
    char *out = take_output();
    assert_string_equal(out, "");   /* nothing before a client connects */
    free(out);
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    out = take_output();
    assert_string_equal(out,
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
        "\"major\": 7}, \"package\": \" (emu " EMU_VERSION ")\"}, "
        "\"capabilities\": [\"oob\"]}}\r\n");
    free(out);
}

static void test_negotiation(void **state)
{
    qmp_connect();
    qmp_expect_error("{\"execute\": \"query-status\"}", "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'");
    qmp_expect_error("{\"execute\": \"no-such-thing\"}", "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'");
    qmp_expect_error("{\"execute\": \"qmp_capabilities\", "
                     "\"arguments\": {\"enable\": [\"foo\"]}}",
                     "GenericError",
                     "Parameter 'enable[0]' does not accept value 'foo'");
    qmp_expect_error("{\"execute\": \"qmp_capabilities\", "
                     "\"arguments\": {\"enable\": \"oob\"}}",
                     "GenericError",
                     "Invalid parameter type for 'enable', expected: array");
    /* still negotiating after the failures */
    qmp_expect_error("{\"execute\": \"query-status\"}", "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'");

    json_object *rsp = qmp("{\"execute\": \"qmp_capabilities\", "
                           "\"arguments\": {\"enable\": [\"oob\"]}}");
    assert_true(json_object_object_get_ex(rsp, "return", NULL));
    json_object_put(rsp);
    qmp_expect_error("{\"execute\": \"qmp_capabilities\"}", "CommandNotFound",
                     "Capabilities negotiation is already complete, "
                     "command ignored");

    /* oob negotiated: exec-oob runs the command */
    rsp = qmp("{\"exec-oob\": \"query-name\", \"id\": \"o\"}");
    assert_string_equal(get_str(rsp, "id", NULL), "o");
    assert_true(json_object_object_get_ex(rsp, "return", NULL));
    json_object_put(rsp);

    /* a new connection starts over */
    chardev_be_event(test_chr, CHR_EVENT_CLOSED);
    qmp_connect();
    qmp_expect_error("{\"execute\": \"query-status\"}", "CommandNotFound",
                     "Expecting capabilities negotiation with "
                     "'qmp_capabilities'");
}

static void test_query_status(void **state)
{
    qmp_connect_negotiated();
    json_object *rsp = qmp("{\"execute\": \"query-status\"}");
    json_object *ret, *v;
    assert_true(json_object_object_get_ex(rsp, "return", &ret));
    assert_string_equal(get_str(ret, "status", NULL),
                        runstate_name(runstate_get()));
    assert_true(json_object_object_get_ex(ret, "running", &v));
    assert_true(json_object_is_type(v, json_type_boolean));
    assert_int_equal(json_object_get_boolean(v), runstate_is_running());
    assert_true(json_object_object_get_ex(ret, "singlestep", &v));
    assert_false(json_object_get_boolean(v));
    assert_false(json_object_object_get_ex(rsp, "id", NULL));
    json_object_put(rsp);
}

static void test_query_version_and_commands(void **state)
{
    qmp_connect_negotiated();
    char *out;
    send_input("{\"execute\": \"query-version\"}");
    out = take_output();
    assert_string_equal(out,
        "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "
        "\"package\": \" (emu " EMU_VERSION ")\"}}\r\n");
    free(out);

    json_object *rsp = qmp("{\"execute\": \"query-commands\"}");
    json_object *list;
    assert_true(json_object_object_get_ex(rsp, "return", &list));
    bool seen_status = false, seen_caps = false, seen_hmp_only = false;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *name = get_str(json_object_array_get_idx(list, i),
                                   "name", NULL);
        seen_status |= !strcmp(name, "query-status");
        seen_caps |= !strcmp(name, "qmp_capabilities");
        seen_hmp_only |= !strcmp(name, "help") || !strcmp(name, "info");
    }
    assert_true(seen_status);
    assert_true(seen_caps);
    assert_false(seen_hmp_only);
    json_object_put(rsp);
}

static void test_unknown_command(void **state)
{
    qmp_connect_negotiated();
    qmp_expect_error("{\"execute\": \"no-such-thing\"}", "CommandNotFound",
                     "The command no-such-thing has not been found");
    /* HMP-only commands are not QMP commands */
    qmp_expect_error("{\"execute\": \"help\"}", "CommandNotFound",
                     "The command help has not been found");
    /* an embedded NUL does not select "stop" */
    qmp_expect_error("{\"execute\": \"stop\\u0000x\"}", "CommandNotFound",
                     "The command stop has not been found");
}

static void test_bad_requests(void **state)
{
    qmp_connect_negotiated();
    qmp_expect_error("[1, 2]", "GenericError",
                     "QMP input must be a JSON object");
    qmp_expect_error("\"query-status\"", "GenericError",
                     "QMP input must be a JSON object");
    qmp_expect_error("{\"arguments\": {}}", "GenericError",
                     "QMP input lacks member 'execute'");
    qmp_expect_error("{\"execute\": \"query-status\", \"arguments\": []}",
                     "GenericError",
                     "QMP input member 'arguments' must be an object");
    qmp_expect_error("{\"execute\": \"query-status\", \"foo\": 1}",
                     "GenericError", "QMP input member 'foo' is unexpected");
    qmp_expect_error("{\"execute\": 42}", "GenericError",
                     "QMP input member 'execute' must be a string");
    /* exec-oob needs the oob capability */
    qmp_expect_error("{\"exec-oob\": \"query-status\"}", "GenericError",
                     "QMP input member 'exec-oob' is unexpected");
}

static void test_argument_checks(void **state)
{
    qmp_connect_negotiated();
    qmp_expect_error("{\"execute\": \"human-monitor-command\"}",
                     "GenericError", "Parameter 'command-line' is missing");
    qmp_expect_error("{\"execute\": \"human-monitor-command\", "
                     "\"arguments\": {\"command-line\": 5}}",
                     "GenericError",
                     "Invalid parameter type for 'command-line', "
                     "expected: string");
    qmp_expect_error("{\"execute\": \"human-monitor-command\", "
                     "\"arguments\": {\"command-line\": \"info status\", "
                     "\"cpu-index\": \"0\"}}",
                     "GenericError",
                     "Invalid parameter type for 'cpu-index', "
                     "expected: integer");
    qmp_expect_error("{\"execute\": \"human-monitor-command\", "
                     "\"arguments\": {\"command-line\": \"info status\", "
                     "\"bogus\": true}}",
                     "GenericError", "Parameter 'bogus' is unexpected");
    qmp_expect_error("{\"execute\": \"query-status\", "
                     "\"arguments\": {\"x\": 1}}",
                     "GenericError", "Parameter 'x' is unexpected");
    qmp_expect_error("{\"execute\": \"x-test-args\", "
                     "\"arguments\": {\"value\": -1}}",
                     "GenericError",
                     "Invalid parameter type for 'value', expected: size");
    qmp_expect_error("{\"execute\": \"x-test-args\", "
                     "\"arguments\": {\"value\": 1, \"force\": 1}}",
                     "GenericError",
                     "Invalid parameter type for 'force', expected: boolean");
    qmp_expect_error("{\"execute\": \"x-test-args\", "
                     "\"arguments\": {\"value\": 1, \"count\": 1.5}}",
                     "GenericError",
                     "Invalid parameter type for 'count', expected: integer");
    qmp_expect_error("{\"execute\": \"x-test-fail\"}", "GenericError",
                     "it failed");

    send_input("{\"execute\": \"x-test-args\", \"arguments\": "
               "{\"value\": 4096, \"force\": true, \"name\": \"a/b\"}}");
    char *out = take_output();
    assert_string_equal(out, "{\"return\": {\"value\": 4096, \"force\": true, "
                        "\"name\": \"a/b\"}}\r\n");
    free(out);
}

static void test_ids_echoed(void **state)
{
    qmp_connect_negotiated();
    char *out;
    send_input("{\"execute\": \"query-name\", \"id\": \"abc\"}");
    out = take_output();
    assert_string_equal(out, "{\"return\": {}, \"id\": \"abc\"}\r\n");
    free(out);
    send_input("{\"id\": {\"n\": [1, 2]}, \"execute\": \"query-name\"}");
    out = take_output();
    assert_string_equal(out,
                        "{\"return\": {}, \"id\": {\"n\": [1, 2]}}\r\n");
    free(out);
    send_input("{\"execute\": \"nope\", \"id\": 17}");
    out = take_output();
    assert_string_equal(out, "{\"error\": {\"class\": \"CommandNotFound\", "
                        "\"desc\": \"The command nope has not been found\"}, "
                        "\"id\": 17}\r\n");
    free(out);
    /* errors in the request itself still echo the id */
    json_object *rsp = qmp("{\"id\": null, \"arguments\": 3}");
    assert_true(json_object_object_get_ex(rsp, "id", NULL));
    assert_error(rsp, "GenericError",
                 "QMP input member 'arguments' must be an object");
}

static void test_split_input(void **state)
{
    qmp_connect_negotiated();
    send_input("{\"execute\": \"qu");
    char *out = take_output();
    assert_string_equal(out, "");
    free(out);
    send_input("ery-name\", ");
    send_input("\"id\"");
    out = take_output();
    assert_string_equal(out, "");
    free(out);
    send_input(": 7}\r\n");
    out = take_output();
    assert_string_equal(out, "{\"return\": {}, \"id\": 7}\r\n");
    free(out);

    /* one byte at a time */
    const char *req = "{\"execute\": \"query-name\", \"id\": 8}\n";
    for (const char *p = req; *p; p++) {
        char c[2] = { *p, 0 };
        send_input(c);
    }
    out = take_output();
    assert_string_equal(out, "{\"return\": {}, \"id\": 8}\r\n");
    free(out);
}

static void test_two_in_one_read(void **state)
{
    qmp_connect_negotiated();
    send_input("{\"execute\": \"query-name\", \"id\": 1}"
               "{\"execute\": \"query-name\", \"id\": 2}\n"
               "  {\"execute\": \"nope\", \"id\": 3}\n");
    char *out = take_output();
    assert_string_equal(out,
        "{\"return\": {}, \"id\": 1}\r\n"
        "{\"return\": {}, \"id\": 2}\r\n"
        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
        "\"The command nope has not been found\"}, \"id\": 3}\r\n");
    free(out);
}

static void test_malformed_json(void **state)
{
    qmp_connect_negotiated();
    send_input("{\"execute\": foo}\n{\"execute\": \"query-name\", \"id\": 1}\n");
    char *out = take_output();
    char *second = strstr(out, "\r\n");
    assert_non_null(second);
    *second = 0;
    json_object *err = json_tokener_parse(out);
    assert_non_null(err);
    assert_string_equal(get_str(err, "error", "class"), "GenericError");
    assert_true(strstart(get_str(err, "error", "desc"), "JSON parse error, ",
                         NULL));
    assert_false(json_object_object_get_ex(err, "id", NULL));
    json_object_put(err);
    assert_string_equal(second + 2, "{\"return\": {}, \"id\": 1}\r\n");
    free(out);

    /* garbage split over reads, a stray brace, then a good request */
    send_input("}}} @@@");
    send_input(" more garbage\n");
    out = take_output();
    assert_non_null(strstr(out, "JSON parse error"));
    free(out);
    json_object *rsp = qmp("{\"execute\": \"query-name\", \"id\": 2}\n");
    assert_int_equal(json_object_get_int(
                         json_object_object_get(rsp, "id")), 2);
    json_object_put(rsp);

    /* a NUL byte is an error, not the end of the buffer */
    chardev_be_deliver(test_chr, (const uint8_t *)"{\"a\0\"}\n", 7);
    out = take_output();
    assert_non_null(strstr(out, "JSON parse error"));
    free(out);
    rsp = qmp("{\"execute\": \"query-name\", \"id\": 3}");
    assert_int_equal(json_object_get_int(
                         json_object_object_get(rsp, "id")), 3);
    json_object_put(rsp);
}

/* Deterministic pseudo-random bytes (xorshift) */
static void fill_garbage(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        buf[i] = (uint8_t)seed;
    }
}

static void test_qmp_garbage(void **state)
{
    uint8_t buf[4096];
    qmp_connect_negotiated();
    for (uint32_t round = 1; round <= 64; round++) {
        fill_garbage(buf, sizeof(buf), round * 2654435761u);
        /* sprinkle JSON structure so the parser gets deep, too */
        for (size_t i = 0; i < sizeof(buf); i += 7) {
            buf[i] = "{}[]\":,\n"[buf[i] % 8];
        }
        chardev_be_deliver(test_chr, buf, sizeof(buf));
        free(take_output());
    }
    /* a reconnect always gives a clean parser */
    chardev_be_event(test_chr, CHR_EVENT_CLOSED);
    qmp_connect_negotiated();
    json_object *rsp = qmp("{\"execute\": \"query-name\", \"id\": 9}");
    assert_int_equal(json_object_get_int(
                         json_object_object_get(rsp, "id")), 9);
    json_object_put(rsp);
}

static void test_events(void **state)
{
    qmp_connect();
    monitor_event("TEST_EVENT", NULL);
    char *out = take_output();
    assert_string_equal(out, "");   /* not negotiated yet */
    free(out);

    send_input("{\"execute\": \"qmp_capabilities\"}");
    free(take_output());
    monitor_event("TEST_EVENT", NULL);
    json_object *ev = take_one_message();
    assert_string_equal(get_str(ev, "event", NULL), "TEST_EVENT");
    assert_false(json_object_object_get_ex(ev, "data", NULL));
    json_object *ts, *v;
    assert_true(json_object_object_get_ex(ev, "timestamp", &ts));
    assert_true(json_object_object_get_ex(ts, "seconds", &v));
    assert_true(json_object_get_int64(v) > 1000000000);
    assert_true(json_object_object_get_ex(ts, "microseconds", &v));
    assert_true(json_object_get_int64(v) >= 0 &&
                json_object_get_int64(v) < 1000000);
    json_object_put(ev);

    json_object *data = json_object_new_object();
    json_object_object_add(data, "guest", json_object_new_boolean(0));
    monitor_event("SHUTDOWN", data);
    out = take_output();
    assert_non_null(strstr(out, "\"event\": \"SHUTDOWN\", "
                                "\"data\": {\"guest\": false}}\r\n"));
    assert_true(strstart(out, "{\"timestamp\": {\"seconds\": ", NULL));
    free(out);

    /* disconnected clients get nothing */
    chardev_be_event(test_chr, CHR_EVENT_CLOSED);
    monitor_event("TEST_EVENT", NULL);
    out = take_output();
    assert_string_equal(out, "");
    free(out);
}

static void test_stop_cont_events(void **state)
{
    qmp_connect_negotiated();
    /* start from a known state, whatever earlier tests did */
    send_input("{\"execute\": \"cont\"}");
    free(take_output());

    send_input("{\"execute\": \"stop\"}");
    char *out = take_output();
    assert_non_null(strstr(out, "\"event\": \"STOP\"}\r\n"));
    assert_non_null(strstr(out, "{\"return\": {}}\r\n"));
    free(out);
    assert_false(runstate_is_running());

    json_object *rsp = qmp("{\"execute\": \"human-monitor-command\", "
                           "\"arguments\": {\"command-line\": "
                           "\"info status\"}}");
    assert_string_equal(get_str(rsp, "return", NULL),
                        "VM status: paused\r\n");
    json_object_put(rsp);

    send_input("{\"execute\": \"cont\"}");
    out = take_output();
    assert_non_null(strstr(out, "\"event\": \"RESUME\"}\r\n"));
    free(out);
    assert_true(runstate_is_running());
}

static void test_human_monitor_command(void **state)
{
    qmp_connect_negotiated();
    json_object *rsp = qmp("{\"execute\": \"human-monitor-command\", "
                           "\"arguments\": {\"command-line\": "
                           "\"info version\"}, \"id\": \"h\"}");
    assert_string_equal(get_str(rsp, "return", NULL),
                        "7.2.0 (emu " EMU_VERSION ")\r\n");
    assert_string_equal(get_str(rsp, "id", NULL), "h");
    json_object_put(rsp);

    rsp = qmp("{\"execute\": \"human-monitor-command\", "
              "\"arguments\": {\"command-line\": \"info status\", "
              "\"cpu-index\": 0}}");
    assert_true(strstart(get_str(rsp, "return", NULL), "VM status: ",
                         NULL));
    json_object_put(rsp);

    rsp = qmp("{\"execute\": \"human-monitor-command\", "
              "\"arguments\": {\"command-line\": \"nosuchcmd 1\"}}");
    assert_string_equal(get_str(rsp, "return", NULL),
                        "unknown command: 'nosuchcmd'\r\n");
    json_object_put(rsp);

    /* commands without output return an empty string */
    rsp = qmp("{\"execute\": \"human-monitor-command\", "
              "\"arguments\": {\"command-line\": \"\"}}");
    assert_string_equal(get_str(rsp, "return", NULL), "");
    json_object_put(rsp);
}

static void test_pretty(void **state)
{
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    char *out = take_output();
    assert_string_equal(out,
        "{\r\n"
        "    \"QMP\": {\r\n"
        "        \"version\": {\r\n"
        "            \"qemu\": {\r\n"
        "                \"micro\": 0,\r\n"
        "                \"minor\": 2,\r\n"
        "                \"major\": 7\r\n"
        "            },\r\n"
        "            \"package\": \" (emu " EMU_VERSION ")\"\r\n"
        "        },\r\n"
        "        \"capabilities\": [\r\n"
        "            \"oob\"\r\n"
        "        ]\r\n"
        "    }\r\n"
        "}\r\n");
    free(out);
    send_input("{\"execute\": \"qmp_capabilities\"}");
    out = take_output();
    assert_string_equal(out, "{\r\n    \"return\": {}\r\n}\r\n");
    free(out);
}

static void test_json_format(void **state)
{
    json_object *obj = json_tokener_parse(
        "{\"s\": \"a:b, {c}\\\"d\\\\\", \"l\": [], \"n\": [1, {\"x\": null}]}");
    assert_non_null(obj);
    char *s = qmp_to_json(obj, false);
    assert_string_equal(s, "{\"s\": \"a:b, {c}\\\"d\\\\\", \"l\": [], "
                        "\"n\": [1, {\"x\": null}]}");
    free(s);
    json_object_put(obj);
}

/* ---- HMP ---- */

static int setup_hmp(void **state)
{
    test_chr = testchr_new();
    assert_true(monitor_init_hmp(test_chr, true, NULL));
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    return 0;
}

static Monitor *test_hmp_monitor(void)
{
    Monitor *mon = monitor_list_first();
    assert_non_null(mon);
    assert_false(monitor_is_qmp(mon));
    return mon;
}

/* Run a line; returns what came between the echo and the next prompt */
static char *hmp(const char *line)
{
    free(take_output());
    char *in = emu_asprintf("%s\r", line);
    send_input(in);
    free(in);
    char *out = take_output();
    char *echo_end = strstr(out, "\r\n");
    assert_non_null(echo_end);
    size_t len = strlen(out);
    assert_true(len >= strlen("(emu) "));
    assert_string_equal(out + len - strlen("(emu) "), "(emu) ");
    out[len - strlen("(emu) ")] = 0;
    char *result = emu_strdup(echo_end + 2);
    free(out);
    return result;
}

static void test_hmp_banner(void **state)
{
    /* setup_hmp connected already; connect again */
    chardev_be_event(test_chr, CHR_EVENT_CLOSED);
    free(take_output());
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    char *out = take_output();
    assert_string_equal(out, "emu " EMU_VERSION " monitor - type 'help' for "
                        "more information\r\n(emu) ");
    free(out);
}

static void test_hmp_info_status(void **state)
{
    char *out = hmp("info status");
    assert_true(strstart(out, "VM status: ", NULL));
    free(out);
    /* blanks around words do not matter */
    out = hmp("   info    version  ");
    assert_string_equal(out, "7.2.0 (emu " EMU_VERSION ")\r\n");
    free(out);

    char *direct = hmp_execute("info version", NULL);
    assert_string_equal(direct, "7.2.0 (emu " EMU_VERSION ")\r\n");
    free(direct);
}

static void test_hmp_unknown(void **state)
{
    char *out = hmp("frobnicate now");
    assert_string_equal(out, "unknown command: 'frobnicate'\r\n");
    free(out);
    out = hmp("info frob");
    assert_string_equal(out, "unknown command: 'info frob'\r\n");
    free(out);
    out = hmp("stop now");
    assert_string_equal(out, "stop: extraneous characters at the end of "
                        "line\r\n");
    free(out);
    out = hmp("");
    assert_string_equal(out, "");
    free(out);
}

static void test_hmp_help(void **state)
{
    char *out = hmp("help");
    const char *cont = strstr(out, "cont|c  -- resume emulation\r\n");
    const char *help = strstr(out, "help|? [cmd] -- show the help\r\n");
    const char *quit = strstr(out, "quit|q  -- quit the emulator\r\n");
    const char *stop = strstr(out, "stop|s  -- stop emulation\r\n");
    assert_non_null(cont);
    assert_non_null(help);
    assert_non_null(quit);
    assert_non_null(stop);
    assert_true(cont < help && help < quit && quit < stop);
    assert_null(strstr(out, "info status"));
    free(out);

    out = hmp("?  stop");
    assert_string_equal(out, "stop|s  -- stop emulation\r\n");
    free(out);
    out = hmp("help info status");
    assert_string_equal(out, "info status  -- show the current VM status "
                        "(running|paused)\r\n");
    free(out);
    out = hmp("help nope");
    assert_string_equal(out, "unknown command: 'nope'\r\n");
    free(out);

    out = hmp("info");
    assert_non_null(strstr(out, "info status  -- "));
    assert_non_null(strstr(out, "info version  -- "));
    assert_true(strstr(out, "info status") < strstr(out, "info version"));
    assert_null(strstr(out, "cont|c"));
    free(out);
}

static void test_hmp_history(void **state)
{
    free(hmp("info status"));
    free(hmp("foo"));
    free(hmp("info status"));   /* a repeat moves to the end */
    char *out = hmp("info history");
    assert_string_equal(out, "0: 'foo'\r\n1: 'info status'\r\n"
                        "2: 'info history'\r\n");
    free(out);
}

static void test_hmp_args(void **state)
{
    char *out = hmp("test_args -f 600 hello 0x10 on  the rest ");
    assert_string_equal(out, "{\"force\": true, \"value\": 629145600, "
                        "\"name\": \"hello\", \"count\": 16, \"on\": true, "
                        "\"rest\": \"the rest\"}\r\n");
    free(out);
    out = hmp("test_args 4k \"two words\\n\"");
    assert_string_equal(out, "{\"value\": 4096, "
                        "\"name\": \"two words\\n\"}\r\n");
    free(out);
    out = hmp("test_args");
    assert_string_equal(out, "Parameter 'value' is missing\r\n");
    free(out);
    out = hmp("test_args lots");
    assert_string_equal(out, "Parameter 'value' expects a size, got 'lots'"
                        "\r\n");
    free(out);
    out = hmp("test_args 1 n 12x");
    assert_string_equal(out, "Parameter 'count' expects an integer, "
                        "got '12x'\r\n");
    free(out);
    out = hmp("test_args 1 n -3 maybe");
    assert_string_equal(out, "Parameter 'on' expects 'on' or 'off', "
                        "got 'maybe'\r\n");
    free(out);
    out = hmp("test_args 1 \"open");
    assert_string_equal(out, "unterminated string\r\n");
    free(out);
}

static void test_hmp_errors(void **state)
{
    char *out = hmp("test_fail");
    assert_string_equal(out, "Error: it failed\r\n");
    free(out);
    out = hmp("test_report");
    assert_string_equal(out, "reported from handler\r\n");
    free(out);
    /* not an HMP monitor on this thread any more: no redirection */
    assert_null(monitor_cur());
}

static void type_keys(const char *keys)
{
    send_input(keys);
}

static void test_readline_editing(void **state)
{
    ReadLineState *rs = test_hmp_monitor()->rs;
    assert_non_null(rs);

    type_keys("nfo statsu");
    type_keys("\033[D\033[D\033[Cx\b");      /* left left right, x, BS */
    assert_string_equal(readline_get_line(rs), "nfo statsu");
    type_keys("\005\b\bus");               /* Ctrl-E, fix the typo */
    type_keys("\033[Hi");                   /* Home, insert */
    assert_string_equal(readline_get_line(rs), "info status");
    type_keys("\005 x");                    /* Ctrl-E, append */
    assert_string_equal(readline_get_line(rs), "info status x");
    type_keys("\033[4~\177\177");           /* End (VT220), BS BS */
    assert_string_equal(readline_get_line(rs), "info status");
    type_keys("\001\033[3~");               /* Ctrl-A, Delete */
    assert_string_equal(readline_get_line(rs), "nfo status");
    type_keys("\033OF\027");                /* End (SS3), Ctrl-W */
    assert_string_equal(readline_get_line(rs), "nfo ");
    type_keys("\025");                      /* Ctrl-U */
    assert_string_equal(readline_get_line(rs), "");
    type_keys("abc def\001\033[C\013");     /* Ctrl-A, right, Ctrl-K */
    assert_string_equal(readline_get_line(rs), "a");
    type_keys("\025");
    free(take_output());

    /* LF alone also ends a line; CR LF is one line end */
    type_keys("info version\r\n");
    char *out = take_output();
    assert_string_equal(out, "info version\r\n7.2.0 (emu " EMU_VERSION
                        ")\r\n(emu) ");
    free(out);
    type_keys("info name\n");
    out = take_output();
    assert_non_null(strstr(out, "(emu) "));
    assert_null(strstr(strstr(out, "(emu) ") + 1, "(emu) "));
    free(out);
}

static void test_readline_history_keys(void **state)
{
    ReadLineState *rs = test_hmp_monitor()->rs;
    free(hmp("info version"));
    free(hmp("info name"));
    type_keys("\033[A");
    assert_string_equal(readline_get_line(rs), "info name");
    type_keys("\033[A");
    assert_string_equal(readline_get_line(rs), "info version");
    type_keys("\033[A");                    /* stays at the oldest */
    assert_string_equal(readline_get_line(rs), "info version");
    type_keys("\033[B");
    assert_string_equal(readline_get_line(rs), "info name");
    type_keys("\033[B");
    assert_string_equal(readline_get_line(rs), "");
    type_keys("\033[A\033[A");
    free(take_output());
    type_keys("\r");
    char *out = take_output();
    assert_non_null(strstr(out, "7.2.0 (emu "));
    free(out);
    assert_string_equal(readline_get_history(rs, 1), "info version");
    assert_null(readline_get_history(rs, 2));
}

static void test_hmp_garbage(void **state)
{
    uint8_t buf[4096];
    for (uint32_t round = 1; round <= 32; round++) {
        fill_garbage(buf, sizeof(buf), round * 40503u);
        /* no line ends: random one-letter commands could run "q" */
        for (size_t i = 0; i < sizeof(buf); i++) {
            if (buf[i] == '\r' || buf[i] == '\n') {
                buf[i] = '\t';
            }
        }
        chardev_be_deliver(test_chr, buf, sizeof(buf));
        free(take_output());
        /* ESC x ends any escape sequence; Ctrl-E Ctrl-U empty the line */
        send_input("\033x\005\025");
        assert_string_equal(readline_get_line(test_hmp_monitor()->rs), "");
    }
    char *out = hmp("info version");
    assert_string_equal(out, "7.2.0 (emu " EMU_VERSION ")\r\n");
    free(out);
}

static void test_readline_completion(void **state)
{
    ReadLineState *rs = test_hmp_monitor()->rs;

    type_keys("inf\t");
    assert_string_equal(readline_get_line(rs), "info ");
    type_keys("sta\t");
    assert_string_equal(readline_get_line(rs), "info status ");
    type_keys("\025");

    /* two commands share "system_" (reset, powerdown): the common prefix */
    type_keys("sys\t");
    assert_string_equal(readline_get_line(rs), "system_");
    type_keys("r\t");
    assert_string_equal(readline_get_line(rs), "system_reset ");
    type_keys("\025");

    /* ambiguous: "info ver" vs nothing else; "info h" is history only */
    type_keys("info h\t");
    assert_string_equal(readline_get_line(rs), "info history ");
    type_keys("\025");

    /* several candidates: the list is shown, the line is kept */
    free(take_output());
    type_keys("info \t");
    char *out = take_output();
    assert_non_null(strstr(out, "status"));
    assert_non_null(strstr(out, "version"));
    assert_non_null(strstr(out, "(emu) info "));
    free(out);
    assert_string_equal(readline_get_line(rs), "info ");
    type_keys("\025");

    type_keys("help qu\t");
    assert_string_equal(readline_get_line(rs), "help quit ");
    type_keys("\025");

    /* nothing matches: nothing changes */
    type_keys("zzz\t");
    assert_string_equal(readline_get_line(rs), "zzz");
    type_keys("\025");
}

static int setup_hmp_plain(void **state)
{
    test_chr = testchr_new();
    assert_true(monitor_init_hmp(test_chr, false, NULL));
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    return 0;
}

static void test_hmp_without_readline(void **state)
{
    char *out = take_output();
    assert_string_equal(out, "emu " EMU_VERSION " monitor - type 'help' for "
                        "more information\r\n");
    free(out);
    /* no echo, no prompt; CR, LF and CR LF end lines */
    send_input("info ver");
    send_input("sion\r\nfoo\ninfo version\r");
    out = take_output();
    assert_string_equal(out, "7.2.0 (emu " EMU_VERSION ")\r\n"
                        "unknown command: 'foo'\r\n"
                        "7.2.0 (emu " EMU_VERSION ")\r\n");
    free(out);
    assert_null(test_hmp_monitor()->rs);
}

/* ---- -mon ---- */

static void test_mon_opts(void **state)
{
    Error *err = NULL;
    test_chr = testchr_new();

    EmuOpts *opts = opts_parse("chardev=nosuch", NULL, false, &error_abort);
    assert_false(monitor_new_from_opts(opts, &err));
    assert_string_equal(error_get_pretty(err), "chardev 'nosuch' not found");
    error_free(err);
    err = NULL;
    opts_free(opts);

    opts = opts_parse("mode=control", NULL, false, &error_abort);
    assert_false(monitor_new_from_opts(opts, &err));
    assert_string_equal(error_get_pretty(err),
                        "Parameter 'chardev' is missing");
    error_free(err);
    err = NULL;
    opts_free(opts);

    opts = opts_parse("chardev=testmon,mode=fancy", NULL, false,
                      &error_abort);
    assert_false(monitor_new_from_opts(opts, &err));
    assert_non_null(err);
    error_free(err);
    err = NULL;
    opts_free(opts);

    opts = opts_parse("chardev=testmon,mode=readline,pretty=on", NULL, false,
                      &error_abort);
    assert_false(monitor_new_from_opts(opts, &err));
    assert_non_null(err);
    error_free(err);
    err = NULL;
    opts_free(opts);

    opts = opts_parse("chardev=testmon,mode=control,pretty=on", NULL, false,
                      &error_abort);
    assert_true(monitor_new_from_opts(opts, &err));
    assert_null(err);
    opts_free(opts);
    assert_true(monitor_is_qmp(monitor_list_first()));
    chardev_be_event(test_chr, CHR_EVENT_OPENED);
    char *out = take_output();
    assert_true(strstart(out, "{\r\n    \"QMP\": {", NULL));
    free(out);

    /* the chardev is taken now */
    opts = opts_parse("chardev=testmon", NULL, false, &error_abort);
    assert_false(monitor_new_from_opts(opts, &err));
    assert_non_null(err);
    error_free(err);
    opts_free(opts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_greeting, setup_qmp, teardown),
        cmocka_unit_test_setup_teardown(test_negotiation, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_status, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_version_and_commands,
                                        setup_qmp, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_argument_checks, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ids_echoed, setup_qmp, teardown),
        cmocka_unit_test_setup_teardown(test_split_input, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_two_in_one_read, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_json, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_qmp_garbage, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events, setup_qmp, teardown),
        cmocka_unit_test_setup_teardown(test_stop_cont_events, setup_qmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_human_monitor_command,
                                        setup_qmp, teardown),
        cmocka_unit_test_setup_teardown(test_pretty, setup_qmp_pretty,
                                        teardown),
        cmocka_unit_test(test_json_format),
        cmocka_unit_test_setup_teardown(test_hmp_banner, setup_hmp, teardown),
        cmocka_unit_test_setup_teardown(test_hmp_info_status, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hmp_unknown, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hmp_help, setup_hmp, teardown),
        cmocka_unit_test_setup_teardown(test_hmp_history, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hmp_args, setup_hmp, teardown),
        cmocka_unit_test_setup_teardown(test_hmp_errors, setup_hmp, teardown),
        cmocka_unit_test_setup_teardown(test_readline_editing, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_readline_history_keys, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_readline_completion, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hmp_garbage, setup_hmp,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hmp_without_readline,
                                        setup_hmp_plain, teardown),
        cmocka_unit_test_setup_teardown(test_mon_opts, NULL, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
