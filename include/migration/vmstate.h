/*
 * Device state descriptions for snapshots and migration: a versioned table
 * of fields.  The stream format is explicit (big-endian numbers), versioned,
 * and each device section is keyed by the device path.  post_load must
 * range-check every guest-controlled index it restores.
 */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include "emu/osdep.h"
#include "emu/error.h"

typedef enum VMStateFieldType {
    VMS_END = 0,
    VMS_BOOL,
    VMS_UINT8,
    VMS_UINT16,
    VMS_UINT32,
    VMS_UINT64,
    VMS_INT8,
    VMS_INT16,
    VMS_INT32,
    VMS_INT64,
    VMS_BUFFER,     /* raw bytes, size = num */
    VMS_STRUCT,     /* nested description */
} VMStateFieldType;

typedef struct VMStateDescription VMStateDescription;

typedef struct VMStateField {
    const char *name;
    VMStateFieldType type;
    size_t offset;
    unsigned num;           /* array length (1 for a scalar), bytes for BUFFER */
    size_t elem_size;       /* for arrays of STRUCT */
    int version_id;         /* field present from this version on */
    const VMStateDescription *vmsd;  /* for VMS_STRUCT */
} VMStateField;

struct VMStateDescription {
    const char *name;
    int version_id;
    int minimum_version_id;
    int (*pre_save)(void *opaque);
    /* return 0, or -errno (e.g. -EINVAL on an out-of-range index) */
    int (*post_load)(void *opaque, int version_id);
    const VMStateField *fields;     /* VMS_END terminated */
};

#define VMSTATE_FIELD_(_n, _t, _s, _f, _num, _v) {               \
        .name = (_n), .type = (_t), .offset = offsetof(_s, _f),  \
        .num = (_num), .version_id = (_v) }
#define VMSTATE_BOOL(_f, _s)   VMSTATE_FIELD_(#_f, VMS_BOOL, _s, _f, 1, 0)
#define VMSTATE_UINT8(_f, _s)  VMSTATE_FIELD_(#_f, VMS_UINT8, _s, _f, 1, 0)
#define VMSTATE_UINT16(_f, _s) VMSTATE_FIELD_(#_f, VMS_UINT16, _s, _f, 1, 0)
#define VMSTATE_UINT32(_f, _s) VMSTATE_FIELD_(#_f, VMS_UINT32, _s, _f, 1, 0)
#define VMSTATE_UINT64(_f, _s) VMSTATE_FIELD_(#_f, VMS_UINT64, _s, _f, 1, 0)
#define VMSTATE_INT32(_f, _s)  VMSTATE_FIELD_(#_f, VMS_INT32, _s, _f, 1, 0)
#define VMSTATE_INT64(_f, _s)  VMSTATE_FIELD_(#_f, VMS_INT64, _s, _f, 1, 0)
#define VMSTATE_UINT8_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_UINT8, _s, _f, _n, 0)
#define VMSTATE_UINT16_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_UINT16, _s, _f, _n, 0)
#define VMSTATE_UINT32_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_UINT32, _s, _f, _n, 0)
#define VMSTATE_UINT64_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_UINT64, _s, _f, _n, 0)
#define VMSTATE_BUFFER(_f, _s) \
    VMSTATE_FIELD_(#_f, VMS_BUFFER, _s, _f, sizeof(((_s *)0)->_f), 0)
#define VMSTATE_UINT32_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_UINT32, _s, _f, 1, _v)
#define VMSTATE_BOOL_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_BOOL, _s, _f, 1, _v)
#define VMSTATE_UINT8_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_UINT8, _s, _f, 1, _v)
#define VMSTATE_UINT16_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_UINT16, _s, _f, 1, _v)
#define VMSTATE_UINT64_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_UINT64, _s, _f, 1, _v)
#define VMSTATE_INT32_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_INT32, _s, _f, 1, _v)
#define VMSTATE_INT64_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_INT64, _s, _f, 1, _v)
#define VMSTATE_INT8(_f, _s)   VMSTATE_FIELD_(#_f, VMS_INT8, _s, _f, 1, 0)
#define VMSTATE_INT16(_f, _s)  VMSTATE_FIELD_(#_f, VMS_INT16, _s, _f, 1, 0)
#define VMSTATE_BOOL_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_BOOL, _s, _f, _n, 0)
#define VMSTATE_INT32_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_INT32, _s, _f, _n, 0)
#define VMSTATE_INT64_ARRAY(_f, _s, _n) \
    VMSTATE_FIELD_(#_f, VMS_INT64, _s, _f, _n, 0)
#define VMSTATE_BUFFER_V(_f, _s, _v) \
    VMSTATE_FIELD_(#_f, VMS_BUFFER, _s, _f, sizeof(((_s *)0)->_f), _v)
/* An array of _n structs, each described by _vmsd */
#define VMSTATE_STRUCT_ARRAY(_f, _s, _n, _vmsd) {                \
        .name = #_f, .type = VMS_STRUCT, .offset = offsetof(_s, _f), \
        .num = (_n), .elem_size = sizeof(((_s *)0)->_f[0]),       \
        .vmsd = &(_vmsd) }
#define VMSTATE_STRUCT(_f, _s, _vmsd) {                          \
        .name = #_f, .type = VMS_STRUCT, .offset = offsetof(_s, _f), \
        .num = 1, .elem_size = sizeof(((_s *)0)->_f), .vmsd = &(_vmsd) }
#define VMSTATE_END_OF_LIST() { .name = NULL, .type = VMS_END }

/*
 * An in-memory byte stream.  A write stream (vmstream_init) owns and grows
 * buf; a read stream (vmstream_init_read) borrows the caller's buffer
 * (cap == 0) and vmstream_free leaves it alone.  Reading past the end sets
 * error and yields zeros; error is sticky.
 */
typedef struct VMStream {
    uint8_t *buf;
    size_t len;         /* bytes written / total when reading */
    size_t cap;
    size_t pos;         /* read position */
    bool error;
} VMStream;

void vmstream_init(VMStream *s);
void vmstream_init_read(VMStream *s, const uint8_t *buf, size_t len);
void vmstream_free(VMStream *s);

/* Primitive accessors (big-endian), for savevm/RAM streaming */
void vmstream_put_u8(VMStream *s, uint8_t v);
void vmstream_put_be16(VMStream *s, uint16_t v);
void vmstream_put_be32(VMStream *s, uint32_t v);
void vmstream_put_be64(VMStream *s, uint64_t v);
void vmstream_put_buffer(VMStream *s, const void *buf, size_t len);
/* u16 length + bytes */
void vmstream_put_string(VMStream *s, const char *str);
uint8_t vmstream_get_u8(VMStream *s);
uint16_t vmstream_get_be16(VMStream *s);
uint32_t vmstream_get_be32(VMStream *s);
uint64_t vmstream_get_be64(VMStream *s);
/* false (and s->error) if fewer than len bytes remain */
bool vmstream_get_buffer(VMStream *s, void *buf, size_t len);
/* NULL on truncation; caller frees */
char *vmstream_get_string(VMStream *s);

/* Save one object: writes version then fields. */
int vmstate_save(VMStream *s, const VMStateDescription *vmsd, void *opaque);
/* Load one object; fails cleanly on short streams or bad versions. */
int vmstate_load(VMStream *s, const VMStateDescription *vmsd, void *opaque,
                 Error **errp);

/*
 * Whole-machine state: one section per realized device with a vmsd, keyed
 * by its path in the device tree.
 *
 * Layout: magic "EMUD", be32 format version (1), then sections
 *   u8 1 | string path | string vmsd name | be32 payload length | payload
 * where payload is vmstate_save() output, then u8 0.  A section whose
 * path names no device, a name mismatch or a payload of the wrong length
 * fails the load with an Error naming the section.
 */
int vmstate_save_devices(VMStream *s, Error **errp);
int vmstate_load_devices(VMStream *s, Error **errp);

#endif
