/* Line editing and history for the human monitor (HMP). */
#include "monitor-internal.h"

#define PROMPT_MAX      64
#define ESC_PARAM_MAX   16

typedef enum ReadLineEscState {
    RL_NORM,
    RL_ESC,     /* got ESC */
    RL_CSI,     /* got ESC [ */
    RL_SS3,     /* got ESC O */
} ReadLineEscState;

struct ReadLineState {
    char buf[READLINE_CMD_BUF_SIZE];
    int len;
    int pos;                        /* cursor, 0..len */
    char prompt[PROMPT_MAX];

    char *history[READLINE_MAX_HISTORY];
    int hist_count;
    int hist_index;                 /* entry shown, -1 when editing anew */

    ReadLineEscState esc_state;
    char esc_param[ESC_PARAM_MAX];
    int esc_param_len;
    bool last_cr;

    char *completions[READLINE_MAX_COMPLETIONS];
    int nb_completions;

    ReadLineWriteFunc *write_fn;
    ReadLineLineFunc *line_fn;
    ReadLineCompletionFunc *completion_fn;
    void *opaque;
};

ReadLineState *readline_new(ReadLineWriteFunc *write_fn,
                            ReadLineLineFunc *line_fn,
                            ReadLineCompletionFunc *completion_fn,
                            void *opaque)
{
    ReadLineState *rs = emu_malloc0(sizeof(*rs));
    rs->write_fn = write_fn;
    rs->line_fn = line_fn;
    rs->completion_fn = completion_fn;
    rs->opaque = opaque;
    rs->hist_index = -1;
    return rs;
}

static void readline_clear_completions(ReadLineState *rs)
{
    for (int i = 0; i < rs->nb_completions; i++) {
        free(rs->completions[i]);
    }
    rs->nb_completions = 0;
}

void readline_free(ReadLineState *rs)
{
    if (!rs) {
        return;
    }
    for (int i = 0; i < rs->hist_count; i++) {
        free(rs->history[i]);
    }
    readline_clear_completions(rs);
    free(rs);
}

void readline_set_prompt(ReadLineState *rs, const char *prompt)
{
    snprintf(rs->prompt, sizeof(rs->prompt), "%s", prompt);
}

const char *readline_get_line(ReadLineState *rs)
{
    return rs->buf;
}

const char *readline_get_history(ReadLineState *rs, unsigned int index)
{
    return index < (unsigned int)rs->hist_count ? rs->history[index] : NULL;
}

static void rl_write(ReadLineState *rs, const char *str)
{
    rs->write_fn(rs->opaque, str);
}

/* Move the terminal cursor left by count columns */
static void rl_cursor_back(StrBuf *sb, int count)
{
    if (count > 0) {
        strbuf_printf(sb, "\033[%dD", count);
    }
}

void readline_show_prompt(ReadLineState *rs)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, rs->prompt);
    strbuf_append_len(&sb, rs->buf, rs->len);
    rl_cursor_back(&sb, rs->len - rs->pos);
    rl_write(rs, sb.str);
    strbuf_free(&sb);
}

/* Redraw the whole line in place: simple, and right after any edit */
static void rl_redraw(ReadLineState *rs)
{
    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "\r");
    strbuf_append(&sb, rs->prompt);
    strbuf_append_len(&sb, rs->buf, rs->len);
    strbuf_append(&sb, "\033[K");
    rl_cursor_back(&sb, rs->len - rs->pos);
    rl_write(rs, sb.str);
    strbuf_free(&sb);
}

void readline_restart(ReadLineState *rs)
{
    rs->len = 0;
    rs->pos = 0;
    rs->buf[0] = 0;
    rs->hist_index = -1;
    rs->esc_state = RL_NORM;
    rs->esc_param_len = 0;
    rs->last_cr = false;
}

static void rl_set_line(ReadLineState *rs, const char *line)
{
    snprintf(rs->buf, sizeof(rs->buf), "%s", line);
    rs->len = strlen(rs->buf);
    rs->pos = rs->len;
}

static void rl_insert(ReadLineState *rs, const char *text, int n)
{
    if (n <= 0) {
        return;
    }
    if (n > (int)sizeof(rs->buf) - 1 - rs->len) {
        n = (int)sizeof(rs->buf) - 1 - rs->len;
        if (n <= 0) {
            return;
        }
    }
    bool at_end = rs->pos == rs->len;
    memmove(rs->buf + rs->pos + n, rs->buf + rs->pos, rs->len - rs->pos);
    memcpy(rs->buf + rs->pos, text, n);
    rs->len += n;
    rs->pos += n;
    rs->buf[rs->len] = 0;
    if (at_end) {
        /* plain echo keeps the output readable for scripts */
        char *echo = emu_strndup(text, n);
        rl_write(rs, echo);
        free(echo);
    } else {
        rl_redraw(rs);
    }
}

/* Remove [from, to) and redraw */
static void rl_delete_range(ReadLineState *rs, int from, int to)
{
    if (from < 0 || to > rs->len || from >= to) {
        return;
    }
    memmove(rs->buf + from, rs->buf + to, rs->len - to);
    rs->len -= to - from;
    rs->buf[rs->len] = 0;
    if (rs->pos >= to) {
        rs->pos -= to - from;
    } else if (rs->pos > from) {
        rs->pos = from;
    }
    rl_redraw(rs);
}

static void rl_backspace(ReadLineState *rs)
{
    if (rs->pos == 0) {
        return;
    }
    if (rs->pos == rs->len) {
        rs->pos--;
        rs->len--;
        rs->buf[rs->len] = 0;
        rl_write(rs, "\b\033[K");
    } else {
        rl_delete_range(rs, rs->pos - 1, rs->pos);
    }
}

static void rl_delete_char(ReadLineState *rs)
{
    rl_delete_range(rs, rs->pos, rs->pos + 1);
}

static void rl_left(ReadLineState *rs)
{
    if (rs->pos > 0) {
        rs->pos--;
        rl_write(rs, "\033[D");
    }
}

static void rl_right(ReadLineState *rs)
{
    if (rs->pos < rs->len) {
        rs->pos++;
        rl_write(rs, "\033[C");
    }
}

static void rl_home(ReadLineState *rs)
{
    rs->pos = 0;
    rl_redraw(rs);
}

static void rl_end(ReadLineState *rs)
{
    rs->pos = rs->len;
    rl_redraw(rs);
}

static void rl_kill_to_end(ReadLineState *rs)
{
    rs->len = rs->pos;
    rs->buf[rs->len] = 0;
    rl_write(rs, "\033[K");
}

static void rl_kill_word_back(ReadLineState *rs)
{
    int start = rs->pos;
    while (start > 0 && rs->buf[start - 1] == ' ') {
        start--;
    }
    while (start > 0 && rs->buf[start - 1] != ' ') {
        start--;
    }
    rl_delete_range(rs, start, rs->pos);
}

static void rl_history_up(ReadLineState *rs)
{
    if (rs->hist_count == 0) {
        return;
    }
    if (rs->hist_index == -1) {
        rs->hist_index = rs->hist_count - 1;
    } else if (rs->hist_index > 0) {
        rs->hist_index--;
    } else {
        return;
    }
    rl_set_line(rs, rs->history[rs->hist_index]);
    rl_redraw(rs);
}

static void rl_history_down(ReadLineState *rs)
{
    if (rs->hist_index == -1) {
        return;
    }
    if (rs->hist_index < rs->hist_count - 1) {
        rs->hist_index++;
        rl_set_line(rs, rs->history[rs->hist_index]);
    } else {
        rs->hist_index = -1;
        rl_set_line(rs, "");
    }
    rl_redraw(rs);
}

static void rl_history_add(ReadLineState *rs, const char *line)
{
    if (!line[0]) {
        return;
    }
    /* a repeated command moves to the end instead of appearing twice */
    for (int i = 0; i < rs->hist_count; i++) {
        if (!strcmp(rs->history[i], line)) {
            char *entry = rs->history[i];
            memmove(&rs->history[i], &rs->history[i + 1],
                    (rs->hist_count - i - 1) * sizeof(char *));
            rs->history[rs->hist_count - 1] = entry;
            return;
        }
    }
    if (rs->hist_count == READLINE_MAX_HISTORY) {
        free(rs->history[0]);
        memmove(&rs->history[0], &rs->history[1],
                (READLINE_MAX_HISTORY - 1) * sizeof(char *));
        rs->hist_count--;
    }
    rs->history[rs->hist_count++] = emu_strdup(line);
}

static void rl_enter(ReadLineState *rs)
{
    char *line = emu_strdup(rs->buf);
    rl_history_add(rs, line);
    rs->len = 0;
    rs->pos = 0;
    rs->buf[0] = 0;
    rs->hist_index = -1;
    rl_write(rs, "\n");
    rs->line_fn(rs->opaque, line);
    free(line);
}

/* ---- Completion ---- */

void readline_add_completion(ReadLineState *rs, const char *str)
{
    if (rs->nb_completions >= READLINE_MAX_COMPLETIONS) {
        return;
    }
    for (int i = 0; i < rs->nb_completions; i++) {
        if (!strcmp(rs->completions[i], str)) {
            return;
        }
    }
    rs->completions[rs->nb_completions++] = emu_strdup(str);
}

static int cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rl_list_completions(ReadLineState *rs)
{
    size_t max_width = 0;
    for (int i = 0; i < rs->nb_completions; i++) {
        max_width = MAX(max_width, strlen(rs->completions[i]));
    }
    max_width += 2;
    int columns = (int)MAX((size_t)1, 80 / max_width);
    qsort(rs->completions, rs->nb_completions, sizeof(char *), cmp_strings);

    StrBuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "\n");
    for (int i = 0; i < rs->nb_completions; i++) {
        strbuf_printf(&sb, "%-*s", (int)max_width, rs->completions[i]);
        if (i % columns == columns - 1 || i == rs->nb_completions - 1) {
            strbuf_append(&sb, "\n");
        }
    }
    rl_write(rs, sb.str);
    strbuf_free(&sb);
    readline_show_prompt(rs);
}

static void rl_complete(ReadLineState *rs)
{
    if (!rs->completion_fn) {
        return;
    }
    readline_clear_completions(rs);
    char *before = emu_strndup(rs->buf, rs->pos);
    rs->completion_fn(rs->opaque, before);
    free(before);

    int word_start = rs->pos;
    while (word_start > 0 && rs->buf[word_start - 1] != ' ') {
        word_start--;
    }
    size_t word_len = rs->pos - word_start;
    const char *word = rs->buf + word_start;

    /* keep only candidates that extend what was typed */
    int n = 0;
    for (int i = 0; i < rs->nb_completions; i++) {
        if (!strncmp(rs->completions[i], word, word_len)) {
            rs->completions[n++] = rs->completions[i];
        } else {
            free(rs->completions[i]);
        }
    }
    rs->nb_completions = n;
    if (n == 0) {
        return;
    }
    if (n == 1) {
        const char *c = rs->completions[0];
        rl_insert(rs, c + word_len, strlen(c) - word_len);
        if (rs->pos == rs->len) {
            rl_insert(rs, " ", 1);
        }
    } else {
        size_t common = strlen(rs->completions[0]);
        for (int i = 1; i < n; i++) {
            size_t k = 0;
            while (k < common && rs->completions[i][k] == rs->completions[0][k]) {
                k++;
            }
            common = k;
        }
        if (common > word_len) {
            rl_insert(rs, rs->completions[0] + word_len, common - word_len);
        } else {
            rl_list_completions(rs);
        }
    }
    readline_clear_completions(rs);
}

/* ---- Input ---- */

static void rl_handle_csi(ReadLineState *rs, uint8_t final)
{
    int param = 0;
    for (int i = 0; i < rs->esc_param_len && rs->esc_param[i] != ';'; i++) {
        param = param * 10 + (rs->esc_param[i] - '0');
    }
    switch (final) {
    case 'A':
        rl_history_up(rs);
        break;
    case 'B':
        rl_history_down(rs);
        break;
    case 'C':
        rl_right(rs);
        break;
    case 'D':
        rl_left(rs);
        break;
    case 'H':
        rl_home(rs);
        break;
    case 'F':
        rl_end(rs);
        break;
    case '~':
        switch (param) {
        case 1:
        case 7:
            rl_home(rs);
            break;
        case 3:
            rl_delete_char(rs);
            break;
        case 4:
        case 8:
            rl_end(rs);
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
}

void readline_handle_byte(ReadLineState *rs, uint8_t ch)
{
    bool after_cr = rs->last_cr;
    rs->last_cr = false;

    if (ch == 27) {
        /* ESC always starts a new sequence, even inside another */
        rs->esc_state = RL_ESC;
        return;
    }
    switch (rs->esc_state) {
    case RL_ESC:
        if (ch == '[') {
            rs->esc_state = RL_CSI;
            rs->esc_param_len = 0;
        } else if (ch == 'O') {
            rs->esc_state = RL_SS3;
        } else {
            rs->esc_state = RL_NORM;
        }
        return;
    case RL_CSI:
        if ((ch >= '0' && ch <= '9') || ch == ';') {
            if (rs->esc_param_len < ESC_PARAM_MAX) {
                rs->esc_param[rs->esc_param_len++] = ch;
            }
            return;
        }
        if (ch >= 0x20 && ch <= 0x3f) {
            return;     /* other parameter/intermediate bytes: ignored */
        }
        rs->esc_state = RL_NORM;
        if (ch >= 0x40 && ch <= 0x7e) {
            rl_handle_csi(rs, ch);
        }
        return;
    case RL_SS3:
        rs->esc_state = RL_NORM;
        rs->esc_param_len = 0;
        rl_handle_csi(rs, ch);
        return;
    case RL_NORM:
        break;
    }

    switch (ch) {
    case '\r':
        rs->last_cr = true;
        rl_enter(rs);
        break;
    case '\n':
        /* CR LF is one line end */
        if (!after_cr) {
            rl_enter(rs);
        }
        break;
    case 1:     /* Ctrl-A */
        rl_home(rs);
        break;
    case 2:     /* Ctrl-B */
        rl_left(rs);
        break;
    case 5:     /* Ctrl-E */
        rl_end(rs);
        break;
    case 6:     /* Ctrl-F */
        rl_right(rs);
        break;
    case 8:     /* Ctrl-H */
    case 127:   /* DEL, what most terminals send for Backspace */
        rl_backspace(rs);
        break;
    case '\t':
        rl_complete(rs);
        break;
    case 11:    /* Ctrl-K */
        rl_kill_to_end(rs);
        break;
    case 14:    /* Ctrl-N */
        rl_history_down(rs);
        break;
    case 16:    /* Ctrl-P */
        rl_history_up(rs);
        break;
    case 21:    /* Ctrl-U */
        rl_delete_range(rs, 0, rs->pos);
        break;
    case 23:    /* Ctrl-W */
        rl_kill_word_back(rs);
        break;
    default:
        if (ch >= 32) {
            char c = (char)ch;
            rl_insert(rs, &c, 1);
        }
        break;
    }
}
