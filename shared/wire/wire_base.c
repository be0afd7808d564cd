/*
 * wire_base — the decoding refusals, the encoding arena and the table
 * engine every family of the wire module is described with (wire_base.h).
 * It walks struct wire_field tables in both directions; it does not know
 * which message kind a table belongs to, nor the envelope around it.
 */
#include "wire_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* field may be NULL when the reason is about the whole message. */
int
wire_dec_fail(struct dec *d, int err, const char *field, const char *why)
{
	return rw_fail(err, d->msg, d->msgsz, "%s%s%s", field ? field : "", field ? ": " : "", why);
}

/* Copies a wire string into a bounded field; too long is refused with the field's name. */
int
wire_dec_str(struct dec *d, char *dst, size_t cap, const char *src, const char *field)
{
	if (rw_strcpy(dst, cap, src ? src : "") != 0)
		return wire_dec_fail(d, RW_ETOOBIG, field, "too long");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* the arena                                                              */

void *
wire_arena_alloc(struct wire_arena *a, size_t n, size_t sz)
{
	void *p;
	if (n == 0)
		n = 1;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		void **nb = realloc(a->blocks, ncap * sizeof(*nb));
		if (!nb)
			return NULL;
		a->blocks = nb;
		a->cap = ncap;
	}
	if (!(p = calloc(n, sz)))
		return NULL;
	a->blocks[a->n++] = p;
	return p;
}

void *
wire_arena_msg(struct wire_arena *a, const ProtobufCMessageDescriptor *desc)
{
	void *p = wire_arena_alloc(a, 1, desc->sizeof_message);
	if (p)
		protobuf_c_message_init(desc, p);
	return p;
}

void
wire_arena_free(struct wire_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	a->blocks = NULL;
	a->n = a->cap = 0;
}

/* ---------------------------------------------------------------------- */
/* field access                                                           */

#define AT(base, off) ((char *)(base) + (off))
#define CAT(base, off) ((const char *)(base) + (off))

static size_t
get_count(const void *base, size_t off, size_t width)
{
	if (width == sizeof(uint32_t))
		return *(const uint32_t *)CAT(base, off);
	return *(const size_t *)CAT(base, off);
}

static void
set_count(void *base, size_t off, size_t width, size_t n)
{
	if (width == sizeof(uint32_t))
		*(uint32_t *)AT(base, off) = (uint32_t)n;
	else
		*(size_t *)AT(base, off) = n;
}

/* How many entries a repeated field has, refused past its bound. */
static int
dec_count(struct dec *d, const struct wire_field *f, const void *pb, size_t *n)
{
	*n = *(const size_t *)CAT(pb, f->pbcount);
	if (*n > f->max)
		return wire_dec_fail(d, RW_ETOOBIG, f->what, f->why);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* decoding                                                               */

/* A fixed array: elements decoded in place, the count set as they succeed. */
static int
dec_array(struct dec *d, const struct wire_field *f, const void *pb, void *dom)
{
	void *const *src = *(void *const *)CAT(pb, f->pb);
	size_t n;
	int rv;

	if ((rv = dec_count(d, f, pb, &n)) != 0)
		return rv;
	for (size_t i = 0; i < n; i++) {
		char *el = AT(dom, f->dom + i * f->stride);
		rv = f->item ? wire_dec_item(d, f->item, src[i], el)
		             : wire_dec_str(d, el, f->size, src[i], f->name);
		if (rv != 0)
			return rv;
	}
	set_count(dom, f->count, f->countsize, n);
	return 0;
}

/* A list: a fresh array owned by dom, its count kept so a partial list is freed too. */
static int
dec_list(struct dec *d, const struct wire_field *f, const void *pb, void *dom)
{
	void *const *src = *(void *const *)CAT(pb, f->pb);
	char *items;
	size_t n;
	int rv;

	if ((rv = dec_count(d, f, pb, &n)) != 0 || n == 0)
		return rv;
	if (!(items = calloc(n, f->item->size)))
		return RW_ENOMEM;
	*(void **)AT(dom, f->dom) = items;
	for (size_t i = 0; i < n; i++) {
		if ((rv = wire_dec_item(d, f->item, src[i], items + i * f->item->size)) != 0)
			return rv;
		set_count(dom, f->count, f->countsize, i + 1);
	}
	return 0;
}

static int
dec_field(struct dec *d, const struct wire_field *f, const void *pb, void *dom)
{
	switch (f->type) {
	case WIRE_F_OWNED:
		return 0;       /* set by a hook, freed by wire_free_item() */
	case WIRE_F_STR:
		return wire_dec_str(d, AT(dom, f->dom), f->size, *(char *const *)CAT(pb, f->pb),
		                    f->name);
	case WIRE_F_NUM:
		memcpy(AT(dom, f->dom), CAT(pb, f->pb), f->size);
		return 0;
	case WIRE_F_BOOL:
		*(bool *)AT(dom, f->dom) = *(const protobuf_c_boolean *)CAT(pb, f->pb) != 0;
		return 0;
	case WIRE_F_MSG:
		return wire_dec_item(d, f->item, *(void *const *)CAT(pb, f->pb), AT(dom, f->dom));
	case WIRE_F_ARRAY:
		return dec_array(d, f, pb, dom);
	case WIRE_F_LIST:
		return dec_list(d, f, pb, dom);
	case WIRE_F_ENUM:
		*(unsigned *)AT(dom, f->dom) = f->parse(*(char *const *)CAT(pb, f->pb));
		return 0;
	case WIRE_F_TEXT:
		snprintf(AT(dom, f->dom), f->size, "%s", *(char *const *)CAT(pb, f->pb));
		return 0;
	case WIRE_F_BYTES: {
		const ProtobufCBinaryData *b = (const void *)CAT(pb, f->pb);
		if (b->len != f->size)
			return wire_dec_fail(d, RW_EPROTO, f->name, "wrong length");
		memcpy(AT(dom, f->dom), b->data, f->size);
		return 0;
	}
	}
	return RW_EINTERNAL;
}

int
wire_dec_item(struct dec *d, const struct wire_item *it, const void *pb, void *dom)
{
	size_t n;
	int rv;

	if (!pb)
		return wire_dec_fail(d, RW_EINVAL, it->name, "missing");
	for (size_t i = 0; i < it->nfields; i++)
		if (it->fields[i].early && (rv = dec_count(d, &it->fields[i], pb, &n)) != 0)
			return rv;
	if (it->dec_first && (rv = it->dec_first(d, pb, dom)) != 0)
		return rv;
	for (size_t i = 0; i < it->nfields; i++)
		if ((rv = dec_field(d, &it->fields[i], pb, dom)) != 0)
			return rv;
	return it->dec_rest ? it->dec_rest(d, pb, dom) : 0;
}

/* ---------------------------------------------------------------------- */
/* encoding                                                               */

/* A sub-message for one domain element, allocated in the arena. */
static void *
enc_new(struct wire_arena *a, const struct wire_item *it, const void *dom)
{
	void *p = wire_arena_msg(a, it->pb);
	if (!p || wire_enc_item(a, it, p, dom) != 0)
		return NULL;
	return p;
}

/* ARRAY and LIST: a pointer per element, strings pointed at, sub-messages built. */
static int
enc_repeated(struct wire_arena *a, const struct wire_field *f, void *pb, const char *first,
             size_t n, size_t stride)
{
	void **pp = wire_arena_alloc(a, n, sizeof(*pp));
	if (!pp)
		return RW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *el = first + i * stride;
		if (!f->item)
			pp[i] = S(el);
		else if (!(pp[i] = enc_new(a, f->item, el)))
			return RW_ENOMEM;
	}
	*(void **)AT(pb, f->pb) = pp;
	*(size_t *)AT(pb, f->pbcount) = n;
	return 0;
}

static int
enc_field(struct wire_arena *a, const struct wire_field *f, void *pb, const void *dom)
{
	size_t n;

	switch (f->type) {
	case WIRE_F_OWNED:
		return 0;
	case WIRE_F_STR:
	case WIRE_F_TEXT:
		*(char **)AT(pb, f->pb) = S(CAT(dom, f->dom));
		return 0;
	case WIRE_F_BYTES: {
		ProtobufCBinaryData *b = (void *)AT(pb, f->pb);
		b->data = (uint8_t *)CAT(dom, f->dom);
		b->len = f->size;
		return 0;
	}
	case WIRE_F_NUM:
		memcpy(AT(pb, f->pb), CAT(dom, f->dom), f->size);
		return 0;
	case WIRE_F_BOOL:
		*(protobuf_c_boolean *)AT(pb, f->pb) = *(const bool *)CAT(dom, f->dom);
		return 0;
	case WIRE_F_MSG:
		return (*(void **)AT(pb, f->pb) = enc_new(a, f->item, CAT(dom, f->dom))) ? 0 : RW_ENOMEM;
	case WIRE_F_ARRAY:
		n = get_count(dom, f->count, f->countsize);
		return enc_repeated(a, f, pb, CAT(dom, f->dom), n < f->max ? n : f->max, f->stride);
	case WIRE_F_LIST: {
		const char *items = *(const char *const *)CAT(dom, f->dom);
		n = items ? get_count(dom, f->count, f->countsize) : 0;
		return enc_repeated(a, f, pb, items, n, f->item->size);
	}
	case WIRE_F_ENUM:
		*(char **)AT(pb, f->pb) = S(f->ename(*(const unsigned *)CAT(dom, f->dom)));
		return 0;
	}
	return RW_EINTERNAL;
}

int
wire_enc_item(struct wire_arena *a, const struct wire_item *it, void *pb, const void *dom)
{
	int rv;
	for (size_t i = 0; i < it->nfields; i++)
		if ((rv = enc_field(a, &it->fields[i], pb, dom)) != 0)
			return rv;
	return it->enc_rest ? it->enc_rest(a, pb, dom) : 0;
}

/* ---------------------------------------------------------------------- */
/* freeing                                                                */

void
wire_free_item(const struct wire_item *it, void *dom)
{
	for (size_t i = 0; i < it->nfields; i++) {
		const struct wire_field *f = &it->fields[i];
		char **owned = (char **)AT(dom, f->dom);
		if (f->type != WIRE_F_LIST && f->type != WIRE_F_OWNED)
			continue;
		/* A list's elements may own lists of their own. */
		for (size_t k = 0; f->type == WIRE_F_LIST && *owned &&
		                   k < get_count(dom, f->count, f->countsize); k++)
			wire_free_item(f->item, *owned + k * f->item->size);
		free(*owned);
		*owned = NULL;
	}
	if (it->free)
		it->free(dom);
}

/* ---------------------------------------------------------------------- */
/* items more than one family sends                                       */

const struct wire_item wire_empty_item = {.name = NULL};

#define ENV_T rw_env_t, Rewind__V1__Env
static const struct wire_field env_fields[] = {
	WIRE_NUM(ENV_T, id), WIRE_NUM(ENV_T, created_at), WIRE_STR(ENV_T, name, "name"),
	WIRE_STR(ENV_T, cluster, "cluster"), WIRE_STR(ENV_T, health_url, "health-url"),
	WIRE_STR(ENV_T, health_expect, "health-expect"),
};
const struct wire_item wire_env_item = WIRE_ITEM("env", rewind__v1__env, rw_env_t, env_fields);

#define KV_T rw_kv_t, Rewind__V1__KeyValue
static const struct wire_field kv_fields[] = {
	WIRE_STR(KV_T, key, "key"), WIRE_STR(KV_T, value, "value"),
};
const struct wire_item wire_kv_item = WIRE_ITEM("data", rewind__v1__key_value, rw_kv_t, kv_fields);
