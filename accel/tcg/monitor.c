/* Monitor commands of the translator: HMP "info jit", QMP "x-query-jit". */
#include "emu/osdep.h"
#include "monitor/monitor.h"
#include "exec/cputlb.h"
#include "internal.h"

static void add_u64(json_object *o, const char *name, uint64_t v)
{
    json_object_object_add(o, name, json_object_new_uint64(v));
}

static json_object *jit_stats_object(const TBStatistics *st,
                                     const TLBStats *tlb)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "backend", json_object_new_string(st->backend));
    add_u64(o, "code-buffer-size", st->code_buffer_size);
    add_u64(o, "code-buffer-used", st->code_buffer_used);
    add_u64(o, "tbs", st->tbs);
    add_u64(o, "tbs-live", st->tbs_live);
    add_u64(o, "tbs-translated", st->tbs_translated);
    add_u64(o, "guest-insns", st->guest_insns);
    add_u64(o, "guest-bytes", st->guest_bytes);
    add_u64(o, "host-code-bytes", st->host_code_bytes);
    add_u64(o, "cross-page-tbs", st->cross_page_tbs);
    add_u64(o, "flushes", st->flushes);
    add_u64(o, "invalidations", st->invalidations);
    add_u64(o, "chained-jumps", st->chained_now);
    add_u64(o, "chains-made", st->chains_made);
    add_u64(o, "unchains", st->unchains);
    add_u64(o, "jump-cache-hits", st->jc_hits);
    add_u64(o, "jump-cache-misses", st->jc_misses);
    add_u64(o, "hash-hits", st->hash_hits);
    add_u64(o, "hash-misses", st->hash_misses);
    add_u64(o, "hash-buckets", st->hash_buckets);
    add_u64(o, "lookup-ptr-calls", st->lookup_ptr_calls);
    add_u64(o, "lookup-ptr-hits", st->lookup_ptr_hits);
    add_u64(o, "tbs-executed", st->tbs_executed);
    add_u64(o, "retranslations", st->retranslations);
    add_u64(o, "translation-ns", st->translation_ns);
    add_u64(o, "tlb-full-flushes", tlb->full_flushes);
    add_u64(o, "tlb-page-flushes", tlb->page_flushes);
    add_u64(o, "tlb-fills", tlb->fills);
    add_u64(o, "tlb-victim-hits", tlb->victim_hits);
    return o;
}

/*
 * As QEMU: the text is in "human-readable-text"; "stats" carries the same
 * numbers for programs (QMP clients ignore members they do not know).
 */
static json_object *cmd_x_query_jit(Monitor *mon, json_object *args,
                                    Error **errp)
{
    TBStatistics st;
    TLBStats tlb;
    StrBuf sb;
    json_object *ret;

    if (!tcg_exec_context()) {
        error_setg(errp, "JIT information is only available with accel=tcg");
        return NULL;
    }
    tb_get_statistics(&st);
    tlb_get_stats(&tlb);
    strbuf_init(&sb);
    tb_dump_statistics(&sb);
    strbuf_printf(&sb, "TLB full flushes       %" PRIu64 "\n",
                  tlb.full_flushes);
    strbuf_printf(&sb, "TLB page flushes       %" PRIu64 "\n",
                  tlb.page_flushes);
    strbuf_printf(&sb, "TLB fills              %" PRIu64 " (%" PRIu64
                  " victim hits)\n", tlb.fills, tlb.victim_hits);

    ret = json_object_new_object();
    json_object_object_add(ret, "human-readable-text",
                           json_object_new_string(sb.str ? sb.str : ""));
    json_object_object_add(ret, "stats", jit_stats_object(&st, &tlb));
    strbuf_free(&sb);
    return ret;
}

static void print_jit(Monitor *mon, json_object *result)
{
    json_object *text;

    if (json_object_object_get_ex(result, "human-readable-text", &text)) {
        monitor_printf(mon, "%s", json_object_get_string(text));
    }
}

static const MonitorCommand jit_commands[] = {
    {
        .qmp_name = "x-query-jit",
        .hmp_name = "info jit",
        .help = "show dynamic compiler info",
        .handler = cmd_x_query_jit,
        .hmp_print = print_jit,
    },
    { .handler = NULL },
};

MONITOR_REGISTER_COMMANDS(jit_commands)
