/* A small ACPI Machine Language builder for the pc machine's DSDT. */
#include "emu/osdep.h"
#include "aml.h"

enum {
    AML_ZERO_OP = 0x00, AML_ONE_OP = 0x01, AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0a, AML_WORD_PREFIX = 0x0b, AML_DWORD_PREFIX = 0x0c,
    AML_STRING_PREFIX = 0x0d, AML_QWORD_PREFIX = 0x0e, AML_SCOPE_OP = 0x10,
    AML_BUFFER_OP = 0x11, AML_PACKAGE_OP = 0x12, AML_METHOD_OP = 0x14,
    AML_DUAL_NAME_PREFIX = 0x2e, AML_MULTI_NAME_PREFIX = 0x2f,
    AML_ROOT_CHAR = 0x5c, AML_PARENT_CHAR = 0x5e, AML_EXT_OP = 0x5b,
    AML_DEVICE_OP = 0x82, AML_RETURN_OP = 0xa4, AML_ONES_OP = 0xff,
};

typedef enum AmlKind {
    AML_KIND_RAW,       /* bytes as they are */
    AML_KIND_PKG,       /* op, PkgLength, head, body */
    AML_KIND_PACKAGE,   /* PackageOp: head is NumElements */
    AML_KIND_BUFFER,    /* BufferOp: head is BufferSize */
    AML_KIND_RESTEMPL,  /* Buffer ending with an end-tag descriptor */
} AmlKind;

struct Aml {
    AmlKind kind;
    uint8_t op[2];
    int op_len;
    uint8_t head[64];       /* NameString and flags of a container */
    size_t head_len;
    uint8_t *body;
    size_t len, cap;
    unsigned elements;      /* Package element count */
};

static Aml *aml_alloc(AmlKind kind)
{
    Aml *a = emu_malloc0(sizeof(*a));
    a->kind = kind;
    return a;
}

void aml_free(Aml *a)
{
    if (a) {
        free(a->body);
        free(a);
    }
}

static void aml_put(Aml *a, const void *p, size_t n)
{
    if (!n) {
        return;             /* p may be the NULL body of an empty object */
    }
    if (a->len + n > a->cap) {
        a->cap = MAX(a->cap * 2, a->len + n + 64);
        a->body = emu_realloc(a->body, a->cap);
    }
    memcpy(a->body + a->len, p, n);
    a->len += n;
}

static void aml_put_byte(Aml *a, uint8_t b)
{
    aml_put(a, &b, 1);
}

static void aml_put_le(Aml *a, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        aml_put_byte(a, v >> (8 * i));
    }
}

static void aml_head(Aml *a, const void *p, size_t n)
{
    /* heads are names (at most a few segments) and flag bytes */
    if (a->head_len + n > sizeof(a->head)) {
        abort();
    }
    memcpy(a->head + a->head_len, p, n);
    a->head_len += n;
}

const uint8_t *aml_data(const Aml *a, size_t *len)
{
    *len = a->len;
    return a->body;
}

Aml *aml_raw(void)
{
    return aml_alloc(AML_KIND_RAW);
}

int aml_encode_pkglen(uint8_t out[4], size_t body_len)
{
    /* The length counts the PkgLength bytes themselves */
    if (body_len + 1 < 0x40) {
        out[0] = body_len + 1;
        return 1;
    }
    for (int n = 2; n <= 4; n++) {
        size_t total = body_len + n;
        if (total < (1ULL << (4 + 8 * (n - 1)))) {
            out[0] = ((n - 1) << 6) | (total & 0xf);
            for (int i = 1; i < n; i++) {
                out[i] = total >> (4 + 8 * (i - 1));
            }
            return n;
        }
    }
    abort();    /* 256 MiB of AML: a bug in the caller */
}

int aml_decode_pkglen(const uint8_t *p, size_t avail, size_t *pkglen)
{
    int n;

    if (!avail) {
        return 0;
    }
    n = (p[0] >> 6) + 1;
    if ((size_t)n > avail) {
        return 0;
    }
    if (n == 1) {
        *pkglen = p[0] & 0x3f;
        return 1;
    }
    if (p[0] & 0x30) {
        return 0;   /* bits 5:4 must be zero in multi-byte encodings */
    }
    *pkglen = p[0] & 0xf;
    for (int i = 1; i < n; i++) {
        *pkglen |= (size_t)p[i] << (4 + 8 * (i - 1));
    }
    return n;
}

/* Encoding of child into parent's body */
void aml_append(Aml *parent, Aml *child)
{
    uint8_t pl[4];
    Aml *size = NULL;
    size_t inner;

    if (child->kind == AML_KIND_RESTEMPL) {
        /* End tag, checksum 0 meaning "not checked" */
        aml_put_byte(child, 0x79);
        aml_put_byte(child, 0x00);
    }
    if (child->kind == AML_KIND_BUFFER || child->kind == AML_KIND_RESTEMPL) {
        size = aml_int(child->len);
        child->head_len = 0;
        aml_head(child, size->body, size->len);
        aml_free(size);
    }
    if (child->kind == AML_KIND_PACKAGE) {
        uint8_t n = child->elements;
        child->head_len = 0;
        aml_head(child, &n, 1);
    }
    if (parent->kind == AML_KIND_PACKAGE) {
        parent->elements++;
    }
    if (child->kind == AML_KIND_RAW) {
        aml_put(parent, child->body, child->len);
    } else {
        aml_put(parent, child->op, child->op_len);
        inner = child->head_len + child->len;
        aml_put(parent, pl, aml_encode_pkglen(pl, inner));
        aml_put(parent, child->head, child->head_len);
        aml_put(parent, child->body, child->len);
    }
    aml_free(child);
}

Aml *aml_int(uint64_t v)
{
    Aml *a = aml_raw();

    if (v == 0) {
        aml_put_byte(a, AML_ZERO_OP);
    } else if (v == 1) {
        aml_put_byte(a, AML_ONE_OP);
    } else if (v == UINT64_MAX) {
        aml_put_byte(a, AML_ONES_OP);
    } else if (v <= 0xff) {
        aml_put_byte(a, AML_BYTE_PREFIX);
        aml_put_le(a, v, 1);
    } else if (v <= 0xffff) {
        aml_put_byte(a, AML_WORD_PREFIX);
        aml_put_le(a, v, 2);
    } else if (v <= 0xffffffff) {
        aml_put_byte(a, AML_DWORD_PREFIX);
        aml_put_le(a, v, 4);
    } else {
        aml_put_byte(a, AML_QWORD_PREFIX);
        aml_put_le(a, v, 8);
    }
    return a;
}

Aml *aml_string(const char *s)
{
    Aml *a = aml_raw();

    aml_put_byte(a, AML_STRING_PREFIX);
    aml_put(a, s, strlen(s) + 1);
    return a;
}

Aml *aml_eisaid(const char *id)
{
    /* Three letters in 5 bits each, then four hex digits; big-endian */
    uint32_t v = ((id[0] - 0x40) & 0x1f) << 26 |
                 ((id[1] - 0x40) & 0x1f) << 21 |
                 ((id[2] - 0x40) & 0x1f) << 16;
    Aml *a = aml_raw();

    for (int i = 0; i < 4; i++) {
        int d = hex_digit_value(id[3 + i]);
        v |= (uint32_t)(d < 0 ? 0 : d) << (12 - 4 * i);
    }
    aml_put_byte(a, AML_DWORD_PREFIX);
    aml_put_byte(a, v >> 24);
    aml_put_byte(a, v >> 16);
    aml_put_byte(a, v >> 8);
    aml_put_byte(a, v);
    return a;
}

/* NameString: [\ or ^...] then one, two (dual prefix) or more segments */
static size_t aml_namestring(uint8_t *out, size_t cap, const char *path)
{
    size_t n = 0;
    const char *p = path;
    int segs = 1;

    while (*p == '\\' || *p == '^') {
        out[n++] = *p == '\\' ? AML_ROOT_CHAR : AML_PARENT_CHAR;
        p++;
    }
    if (!*p) {
        out[n++] = 0;       /* NullName */
        return n;
    }
    for (const char *q = p; *q; q++) {
        segs += *q == '.';
    }
    if (n + 2 + 4 * segs > cap) {
        abort();
    }
    if (segs == 2) {
        out[n++] = AML_DUAL_NAME_PREFIX;
    } else if (segs > 2) {
        out[n++] = AML_MULTI_NAME_PREFIX;
        out[n++] = segs;
    }
    while (*p) {
        int len = 0;
        while (p[len] && p[len] != '.') {
            len++;
        }
        for (int i = 0; i < 4; i++) {
            out[n++] = i < len ? (uint8_t)p[i] : '_';
        }
        p += len;
        if (*p == '.') {
            p++;
        }
    }
    return n;
}

Aml *aml_name(const char *path)
{
    uint8_t buf[64];
    Aml *a = aml_raw();

    aml_put(a, buf, aml_namestring(buf, sizeof(buf), path));
    return a;
}

Aml *aml_name_decl(const char *name, Aml *value)
{
    Aml *a = aml_raw();

    aml_put_byte(a, AML_NAME_OP);
    aml_append(a, aml_name(name));
    aml_append(a, value);
    return a;
}

static Aml *aml_container(AmlKind kind, uint8_t op0, int op1,
                          const char *name)
{
    Aml *a = aml_alloc(kind);
    uint8_t buf[64];

    a->op[a->op_len++] = op0;
    if (op1 >= 0) {
        a->op[a->op_len++] = op1;
    }
    if (name) {
        aml_head(a, buf, aml_namestring(buf, sizeof(buf), name));
    }
    return a;
}

Aml *aml_scope(const char *path)
{
    return aml_container(AML_KIND_PKG, AML_SCOPE_OP, -1, path);
}

Aml *aml_device(const char *name)
{
    return aml_container(AML_KIND_PKG, AML_EXT_OP, AML_DEVICE_OP, name);
}

Aml *aml_method(const char *name, int nargs, bool serialized)
{
    Aml *a = aml_container(AML_KIND_PKG, AML_METHOD_OP, -1, name);
    uint8_t flags = (nargs & 7) | (serialized ? 0x08 : 0);

    aml_head(a, &flags, 1);
    return a;
}

Aml *aml_return(Aml *value)
{
    Aml *a = aml_raw();

    aml_put_byte(a, AML_RETURN_OP);
    aml_append(a, value);
    return a;
}

Aml *aml_package(void)
{
    return aml_container(AML_KIND_PACKAGE, AML_PACKAGE_OP, -1, NULL);
}

Aml *aml_resource_template(void)
{
    return aml_container(AML_KIND_RESTEMPL, AML_BUFFER_OP, -1, NULL);
}

Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x47);      /* I/O port descriptor, 7 bytes */
    aml_put_byte(a, 0x01);      /* decodes 16 address lines */
    aml_put_le(a, min, 2);
    aml_put_le(a, max, 2);
    aml_put_byte(a, align);
    aml_put_byte(a, len);
    return a;
}

Aml *aml_irq_no_flags(uint8_t irq)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x22);      /* IRQ descriptor, 2 bytes */
    aml_put_le(a, 1u << (irq & 15), 2);
    return a;
}

/* Word address space descriptor (ACPI 6.4.3.5.3) */
static Aml *aml_word_desc(uint8_t type, uint8_t type_flags, uint16_t min,
                          uint16_t max)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x88);
    aml_put_le(a, 13, 2);
    aml_put_byte(a, type);
    aml_put_byte(a, 0x0c);      /* producer, MinFixed, MaxFixed */
    aml_put_byte(a, type_flags);
    aml_put_le(a, 0, 2);        /* granularity */
    aml_put_le(a, min, 2);
    aml_put_le(a, max, 2);
    aml_put_le(a, 0, 2);        /* translation */
    aml_put_le(a, (uint16_t)(max - min + 1), 2);
    return a;
}

Aml *aml_word_bus_number(uint16_t min, uint16_t max)
{
    return aml_word_desc(2, 0, min, max);
}

Aml *aml_word_io(uint16_t min, uint16_t max)
{
    return aml_word_desc(1, 0x03, min, max);   /* ISA and non-ISA ranges */
}

Aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x87);
    aml_put_le(a, 23, 2);
    aml_put_byte(a, 0);         /* memory range */
    aml_put_byte(a, 0x0c);
    aml_put_byte(a, cacheable ? 0x03 : 0x01);  /* read/write */
    aml_put_le(a, 0, 4);
    aml_put_le(a, min, 4);
    aml_put_le(a, max, 4);
    aml_put_le(a, 0, 4);
    aml_put_le(a, max - min + 1, 4);
    return a;
}

Aml *aml_qword_memory(uint64_t min, uint64_t max)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x8a);
    aml_put_le(a, 43, 2);
    aml_put_byte(a, 0);
    aml_put_byte(a, 0x0c);
    aml_put_byte(a, 0x03);
    aml_put_le(a, 0, 8);
    aml_put_le(a, min, 8);
    aml_put_le(a, max, 8);
    aml_put_le(a, 0, 8);
    aml_put_le(a, max - min + 1, 8);
    return a;
}

Aml *aml_interrupt(bool level, bool active_low, bool shared,
                   const uint32_t *irqs, unsigned count)
{
    Aml *a = aml_raw();

    count = MIN(count, 255u);
    aml_put_byte(a, 0x89);
    aml_put_le(a, 2 + 4 * count, 2);
    /* bit 0 consumer, bit 1 edge, bit 2 active low, bit 3 shared */
    aml_put_byte(a, 0x01 | (level ? 0 : 0x02) | (active_low ? 0x04 : 0) |
                    (shared ? 0x08 : 0));
    aml_put_byte(a, count);
    for (unsigned i = 0; i < count; i++) {
        aml_put_le(a, irqs[i], 4);
    }
    return a;
}

Aml *aml_arg(int n)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x68 + (n & 7));
    return a;
}

Aml *aml_local(int n)
{
    Aml *a = aml_raw();

    aml_put_byte(a, 0x60 + (n & 7));
    return a;
}

/* opcode, then the operands in order; a NULL operand is a NullName target */
static Aml *aml_opcode(uint8_t op, Aml *x, Aml *y, Aml *z, int nops)
{
    Aml *ops[3] = { x, y, z };
    Aml *a = aml_raw();

    aml_put_byte(a, op);
    for (int i = 0; i < nops; i++) {
        if (ops[i]) {
            aml_append(a, ops[i]);
        } else {
            aml_put_byte(a, 0x00);
        }
    }
    return a;
}

Aml *aml_store(Aml *value, Aml *target)
{
    return aml_opcode(0x70, value, target, NULL, 2);
}

Aml *aml_and(Aml *a, Aml *b, Aml *target)
{
    return aml_opcode(0x7b, a, b, target, 3);
}

Aml *aml_or(Aml *a, Aml *b, Aml *target)
{
    return aml_opcode(0x7d, a, b, target, 3);
}

Aml *aml_lless(Aml *a, Aml *b)
{
    return aml_opcode(0x95, a, b, NULL, 2);
}

Aml *aml_if(Aml *predicate)
{
    Aml *a = aml_container(AML_KIND_PKG, 0xa0, -1, NULL);

    /* the predicate sits inside the PkgLength, before the body */
    aml_append(a, predicate);
    return a;
}

Aml *aml_else(void)
{
    return aml_container(AML_KIND_PKG, 0xa1, -1, NULL);
}

Aml *aml_create_dword_field(Aml *buf, Aml *byte_index, const char *name)
{
    Aml *a = aml_opcode(0x8a, buf, byte_index, NULL, 2);

    aml_append(a, aml_name(name));
    return a;
}

Aml *aml_operation_region(const char *name, uint8_t space, uint32_t offset,
                          uint32_t len)
{
    Aml *a = aml_raw();

    aml_put_byte(a, AML_EXT_OP);
    aml_put_byte(a, 0x80);
    aml_append(a, aml_name(name));
    aml_put_byte(a, space);
    aml_append(a, aml_int(offset));
    aml_append(a, aml_int(len));
    return a;
}

Aml *aml_field(const char *region, uint8_t flags)
{
    Aml *a = aml_container(AML_KIND_PKG, AML_EXT_OP, 0x81, region);

    aml_head(a, &flags, 1);
    return a;
}

Aml *aml_named_field(const char *name, unsigned bits)
{
    uint8_t buf[64], pl[4];
    Aml *a = aml_raw();
    size_t n = aml_namestring(buf, sizeof(buf), name);

    /* a NameSeg followed by the width in PkgLength form (not counting
     * its own bytes) */
    aml_put(a, buf, n);
    if (bits < 0x40) {
        aml_put_byte(a, bits);
    } else {
        int len = aml_encode_pkglen(pl, bits);
        /* aml_encode_pkglen counts its own bytes: take them back out */
        size_t v = bits;
        pl[0] = ((len - 1) << 6) | (v & 0xf);
        for (int i = 1; i < len; i++) {
            pl[i] = v >> (4 + 8 * (i - 1));
        }
        aml_put(a, pl, len);
    }
    return a;
}
