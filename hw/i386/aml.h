/*
 * A small builder for ACPI Machine Language (ACPI spec, chapter 20): just
 * what the pc machine's DSDT needs.  Objects are byte buffers; containers
 * (Scope, Device, Method, Package, Buffer) get their PkgLength when they
 * are appended to their parent, so children can be added in any order.
 *
 *   Aml *dev = aml_device("KBD");
 *   aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0303")));
 *   aml_append(scope, dev);                 // consumes dev
 */
#ifndef HW_I386_AML_H
#define HW_I386_AML_H

#include "emu/osdep.h"

typedef struct Aml Aml;

/* Append child's encoding to parent and free child */
void aml_append(Aml *parent, Aml *child);
void aml_free(Aml *a);
/* The bytes of a top-level (raw) object, e.g. the DSDT body */
const uint8_t *aml_data(const Aml *a, size_t *len);

Aml *aml_raw(void);                              /* empty raw object */
Aml *aml_int(uint64_t v);                        /* smallest encoding */
Aml *aml_string(const char *s);
Aml *aml_eisaid(const char *id);                 /* "PNP0A03" */
Aml *aml_name(const char *path);                 /* a NameString */
Aml *aml_name_decl(const char *name, Aml *value);  /* Name(name, value) */
Aml *aml_scope(const char *path);
Aml *aml_device(const char *name);
Aml *aml_method(const char *name, int nargs, bool serialized);
Aml *aml_return(Aml *value);
Aml *aml_package(void);                          /* elements appended */
/* ResourceTemplate: a Buffer whose end tag is added at encode time */
Aml *aml_resource_template(void);
/* Resource descriptors (ACPI 6.4.2 / 6.4.3), to append to a template */
Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len);
Aml *aml_irq_no_flags(uint8_t irq);
Aml *aml_word_bus_number(uint16_t min, uint16_t max);
Aml *aml_word_io(uint16_t min, uint16_t max);
Aml *aml_dword_memory(uint32_t min, uint32_t max, bool cacheable);
Aml *aml_qword_memory(uint64_t min, uint64_t max);
/* Extended interrupt descriptor (ACPI 6.4.3.6), consumer */
Aml *aml_interrupt(bool level, bool active_low, bool shared,
                   const uint32_t *irqs, unsigned count);

/* Operators and data for method bodies (ACPI 20.2.5) */
Aml *aml_arg(int n);                             /* Arg0..Arg6 */
Aml *aml_local(int n);                           /* Local0..Local7 */
Aml *aml_store(Aml *value, Aml *target);
Aml *aml_and(Aml *a, Aml *b, Aml *target);       /* target may be NULL */
Aml *aml_or(Aml *a, Aml *b, Aml *target);
Aml *aml_lless(Aml *a, Aml *b);
Aml *aml_if(Aml *predicate);                     /* body appended */
Aml *aml_else(void);
Aml *aml_create_dword_field(Aml *buf, Aml *byte_index, const char *name);
/* OperationRegion(name, space, offset, len); space 2 is PCI_Config */
Aml *aml_operation_region(const char *name, uint8_t space, uint32_t offset,
                          uint32_t len);
/* Field(region, flags) { appended aml_named_field()s } */
Aml *aml_field(const char *region, uint8_t flags);
Aml *aml_named_field(const char *name, unsigned bits);

/* Encode an AML PkgLength for a package of body_len bytes; returns size */
int aml_encode_pkglen(uint8_t out[4], size_t body_len);
/* Decode one at p (avail bytes); returns bytes used, 0 if malformed */
int aml_decode_pkglen(const uint8_t *p, size_t avail, size_t *pkglen);

#endif
