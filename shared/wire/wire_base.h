/*
 * wire_base — what every message family of the wire module is built from:
 * the decoding context and its refusals, the encoding arena, and the field
 * tables that say, once for both directions, where each field of a domain
 * struct stands in its protobuf message.
 *
 * wire_dec_item() copies a protobuf message into a domain struct by its
 * table (refusing, never truncating, a string too long and a repeated field
 * with too many entries); wire_enc_item() points a protobuf message at a
 * domain struct's fields for the duration of one pack.  This module knows no
 * message kind and no envelope: wire.c dispatches, the family files
 * (wire_session.c ... wire_audit.c) hold the tables.  Internal to
 * shared/wire: protobuf-c types appear here.
 */
#ifndef REWIND_WIRE_BASE_H
#define REWIND_WIRE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "rewind.pb-c.h"

typedef Rewind__V1__Envelope pb_env_t;

/* Decoding context: where to write the human reason. */
struct dec {
	char *msg;
	size_t msgsz;
};

/* Writes "field: why" (or only why when field is NULL) as the reason; returns err. */
int wire_dec_fail(struct dec *d, int err, const char *field, const char *why);
/* Bounded copy of a wire string: refuses (RW_ETOOBIG) rather than truncates. */
int wire_dec_str(struct dec *d, char *dst, size_t cap, const char *src, const char *field);
#define DEC_STR(d, dst, src, field) wire_dec_str((d), (dst), sizeof(dst), (src), (field))

/*
 * Everything allocated while encoding one message; freed after packing.
 * wire_arena_alloc() returns zeroed memory (n = 0 still gives one element).
 */
struct wire_arena {
	void **blocks;
	size_t n, cap;
};
void *wire_arena_alloc(struct wire_arena *a, size_t n, size_t sz);
/* A protobuf message of the given type, initialised to its defaults; NULL when out of memory. */
void *wire_arena_msg(struct wire_arena *a, const ProtobufCMessageDescriptor *desc);
void wire_arena_free(struct wire_arena *a);

/* Protobuf-c wants char * where we hold const buffers; packing only reads them. */
#define S(x) ((char *)(x))

enum wire_ftype {
	WIRE_F_STR,     /* char[size] <-> char * */
	WIRE_F_NUM,     /* integers of the same width on both sides */
	WIRE_F_BOOL,    /* bool <-> protobuf_c_boolean */
	WIRE_F_MSG,     /* an embedded struct <-> a sub-message (item) */
	WIRE_F_ARRAY,   /* T[max] and its count <-> a repeated sub-message or string */
	WIRE_F_LIST,    /* a malloc'd T[] and its size_t count <-> a repeated sub-message */
	WIRE_F_ENUM,    /* a domain enum <-> its name (parse and ename) */
	WIRE_F_OWNED,   /* a malloc'd buffer the domain struct owns: only freed here */
	WIRE_F_TEXT,    /* char[size] <-> char *, truncated rather than refused (a peer's text) */
	WIRE_F_BYTES,   /* uint8_t[size] <-> bytes of exactly that length */
};

struct wire_item;

/* One field of a table: where it stands in the domain struct and in the protobuf message. */
struct wire_field {
	enum wire_ftype type;
	const char *name;               /* a refused string or bytes (each of a string ARRAY) */
	size_t dom, pb;                 /* offsets in the domain struct and the protobuf message */
	size_t size;                    /* STR, TEXT, string ARRAY: capacity; NUM: width; BYTES: length */
	const struct wire_item *item;   /* MSG, ARRAY, LIST: the element; NULL: strings */
	size_t count, pbcount;          /* ARRAY, LIST: offsets of the two element counts */
	size_t countsize;               /* ARRAY, LIST: width of the domain count */
	size_t stride;                  /* ARRAY: distance between domain elements */
	size_t max;                     /* ARRAY, LIST: most elements accepted */
	const char *what, *why;         /* ARRAY, LIST: the refusal when there are more */
	bool early;                     /* ARRAY: the count is checked before any field */
	unsigned (*parse)(const char *);   /* ENUM: name to value (unknown: the default) */
	const char *(*ename)(unsigned);     /* ENUM: value to name */
};

/*
 * A protobuf message and the domain struct it maps to: the table, plus hooks
 * for what a table cannot say (enum names, owned buffers, fixed-length
 * bytes).  Decoding runs the early counts, dec_first, the table in order,
 * then dec_rest (so a refusal names the same field as it always has);
 * encoding runs the table, then enc_rest.  Any hook may be NULL.
 */
struct wire_item {
	const char *name;                               /* "env: missing" when absent */
	const ProtobufCMessageDescriptor *pb;
	size_t size;                                    /* of the domain struct */
	const struct wire_field *fields;
	size_t nfields;
	int (*dec_first)(struct dec *d, const void *pb, void *dom);
	int (*dec_rest)(struct dec *d, const void *pb, void *dom);
	int (*enc_rest)(struct wire_arena *a, void *pb, const void *dom);
	void (*free)(void *dom);                        /* what dom owns beyond LIST and OWNED */
};

int wire_dec_item(struct dec *d, const struct wire_item *it, const void *pb, void *dom);
/* Fills pb, already initialised, from dom; it points into dom, so dom must outlive the pack. */
int wire_enc_item(struct wire_arena *a, const struct wire_item *it, void *pb, const void *dom);
/* Frees what dom owns (its LIST arrays, and what the free hook names); not dom itself. */
void wire_free_item(const struct wire_item *it, void *dom);

#define WIRE_NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
/*
 * An item: its name, the protobuf message (rewind__v1__env for Env), the
 * domain type, its table, and hooks by designator after them.
 */
#define WIRE_ITEM(nm, pbname, D, t, ...)                                                  \
	{ .name = (nm), .pb = &pbname##__descriptor, .size = sizeof(D), .fields = (t),        \
	  .nfields = WIRE_NFIELDS(t), __VA_ARGS__ }

/*
 * Defines the item var and its table var_fields: var's name (or NULL), the
 * protobuf message (rewind__v1__env), T, then the entries.  For items with
 * hooks, write the table and WIRE_ITEM(..., .dec_rest = ...) out.
 */
#define WIRE_DEFINE(var, nm, pbname, ...) WIRE_DEFINE_(var, nm, pbname, __VA_ARGS__)
#define WIRE_DEFINE_(var, nm, pbname, D, P, ...)                                          \
	static const struct wire_field var##_fields[] = {__VA_ARGS__};                        \
	static const struct wire_item var = WIRE_ITEM(nm, pbname, D, var##_fields)

/*
 * Table entries.  T is a pair "domain type, protobuf type" (a macro of the
 * family file); f a member named alike on both sides, df/pf when not.
 */
#define WIRE_MSIZE(T, f) sizeof(((T *)0)->f)
/* 0, or a build failure when the two members differ in width. */
#define WIRE_SAME_WIDTH(D, df, P, pf) (0 * sizeof(char[WIRE_MSIZE(D, df) == WIRE_MSIZE(P, pf) ? 1 : -1]))

#define WIRE_STR_AS_(D, P, df, pf, nm)                                                    \
	{ .type = WIRE_F_STR, .name = (nm), .dom = offsetof(D, df), .pb = offsetof(P, pf),    \
	  .size = WIRE_MSIZE(D, df) }
#define WIRE_NUM_AS_(D, P, df, pf)                                                        \
	{ .type = WIRE_F_NUM, .dom = offsetof(D, df), .pb = offsetof(P, pf),                  \
	  .size = WIRE_MSIZE(D, df) + WIRE_SAME_WIDTH(D, df, P, pf) }
#define WIRE_BOOL_AS_(D, P, df, pf)                                                       \
	{ .type = WIRE_F_BOOL, .dom = offsetof(D, df), .pb = offsetof(P, pf) }
/*
 * An enum and its name functions (enum rw_role rw_role_parse(const char *)
 * ...).  GCC gives an enum without negative values unsigned int as its
 * type, so the functions are called through compatible pointers; the
 * _Generic fails the build for any other enum.
 */
#define WIRE_ENUM_AS_(D, P, df, pf, prs, nam)                                             \
	{ .type = WIRE_F_ENUM, .dom = offsetof(D, df), .pb = offsetof(P, pf), .parse = (prs),  \
	  .ename = (nam),                                                                      \
	  .size = sizeof(char[_Generic(((D *)0)->df, unsigned: 1, default: -1)]) }
#define WIRE_OWNED_(D, P, df) { .type = WIRE_F_OWNED, .dom = offsetof(D, df) }
#define WIRE_TEXT_AS_(D, P, df, pf)                                                       \
	{ .type = WIRE_F_TEXT, .dom = offsetof(D, df), .pb = offsetof(P, pf), .size = WIRE_MSIZE(D, df) }
#define WIRE_BYTES_AS_(D, P, df, pf, nm)                                                  \
	{ .type = WIRE_F_BYTES, .name = (nm), .dom = offsetof(D, df), .pb = offsetof(P, pf),  \
	  .size = WIRE_MSIZE(D, df) }
#define WIRE_MSG_AS_(D, P, df, pf, it)                                                    \
	{ .type = WIRE_F_MSG, .dom = offsetof(D, df), .pb = offsetof(P, pf), .item = (it) }
#define WIRE_ARRAY_(D, P, df, dn, pf, it, nm, wh, wy, erly)                               \
	{ .type = WIRE_F_ARRAY, .name = (nm), .dom = offsetof(D, df), .pb = offsetof(P, pf),  \
	  .size = WIRE_MSIZE(D, df[0]), .item = (it), .count = offsetof(D, dn),               \
	  .pbcount = offsetof(P, n_##pf), .countsize = WIRE_MSIZE(D, dn),                      \
	  .stride = WIRE_MSIZE(D, df[0]), .max = WIRE_MSIZE(D, df) / WIRE_MSIZE(D, df[0]),    \
	  .what = (wh), .why = (wy), .early = (erly) }
#define WIRE_LIST_(D, P, df, dn, pf, it, mx, wh, wy)                                      \
	{ .type = WIRE_F_LIST, .dom = offsetof(D, df), .pb = offsetof(P, pf), .item = (it),    \
	  .count = offsetof(D, dn), .pbcount = offsetof(P, n_##pf),                           \
	  .countsize = WIRE_MSIZE(D, dn), .max = (mx), .what = (wh), .why = (wy) }

/* T for the fields of wire_msg_t carried in protobuf message Rewind__V1__P. */
#define WIRE_M(P) wire_msg_t, Rewind__V1__##P
/* Variadic so that T may be a pair macro or the two types written out. */
#define WIRE_SAME1_(M, D, P, f, ...) M(D, P, f, f, ##__VA_ARGS__)
#define WIRE_STR(...) WIRE_SAME1_(WIRE_STR_AS_, __VA_ARGS__)
#define WIRE_STR_AS(...) WIRE_STR_AS_(__VA_ARGS__)
#define WIRE_NUM(...) WIRE_SAME1_(WIRE_NUM_AS_, __VA_ARGS__)
#define WIRE_NUM_AS(...) WIRE_NUM_AS_(__VA_ARGS__)
#define WIRE_BOOL(...) WIRE_SAME1_(WIRE_BOOL_AS_, __VA_ARGS__)
#define WIRE_BOOL_AS(...) WIRE_BOOL_AS_(__VA_ARGS__)
#define WIRE_MSG(...) WIRE_MSG_AS_(__VA_ARGS__)
#define WIRE_ENUM(...) WIRE_SAME1_(WIRE_ENUM_AS_, __VA_ARGS__)
#define WIRE_ENUM_AS(...) WIRE_ENUM_AS_(__VA_ARGS__)
/* A pointer the message owns and frees (set by a hook); T's protobuf type is unused. */
#define WIRE_OWNED(...) WIRE_OWNED_(__VA_ARGS__)
#define WIRE_TEXT_AS(...) WIRE_TEXT_AS_(__VA_ARGS__)
/* Fixed-length bytes; any other length is refused (RW_EPROTO) as "nm: wrong length". */
#define WIRE_BYTES_AS(...) WIRE_BYTES_AS_(__VA_ARGS__)
/* A fixed array of sub-messages (it) or strings (it NULL, each refused as nm). */
#define WIRE_ARRAY(...) WIRE_ARRAY_(__VA_ARGS__)
#define WIRE_LIST(...) WIRE_LIST_(__VA_ARGS__)
/* The list of a *_LIST_OK reply: items/n of wire_msg_t's list. */
#define WIRE_ITEMS(...) WIRE_ITEMS_(__VA_ARGS__)
#define WIRE_ITEMS_(D, P, it, mx) WIRE_LIST_(D, P, u.list.items, u.list.n, items, it, mx, "list", "too many items")

/* Items more than one family sends. */
extern const struct wire_item wire_empty_item;  /* a body without fields */
extern const struct wire_item wire_env_item;    /* rw_env_t */
extern const struct wire_item wire_kv_item;     /* rw_kv_t */
/* The data of an action or an operation: at most RW_KV_MAX rw_kv_t. */
#define WIRE_KVS(...) WIRE_KVS_(__VA_ARGS__)
#define WIRE_KVS_(D, P, df, dn, pf, erly)                                                  \
	WIRE_ARRAY_(D, P, df, dn, pf, &wire_kv_item, NULL, "data", "too many keys (at most 16)", erly)

#endif
