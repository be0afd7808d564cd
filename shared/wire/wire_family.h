/*
 * wire_family — what one family of messages gives the wire module (in the
 * manner of NNG's protocol ops): the kinds it owns, a form for each of them
 * (which item its body is, and where that stands in wire_msg_t), and the
 * domain checks its requests must pass.  wire.c holds the table of
 * families, the single truth of which kind belongs to which.  Internal to
 * shared/wire and its test; no protobuf type is needed to read this header.
 */
#ifndef REWIND_WIRE_FAMILY_H
#define REWIND_WIRE_FAMILY_H

#include <stddef.h>

struct dec;
struct wire_item;
struct wire_msg;

/* How the body of one kind maps to the message: item at offset bytes into wire_msg_t. */
struct wire_form {
	int kind;                       /* enum wire_kind */
	const struct wire_item *item;
	size_t offset;
};

struct wire_family {
	const char *name;
	int first, last;                /* the enum wire_kind values it owns, inclusive */
	const struct wire_form *forms;  /* one for each kind first..last */
	size_t nforms;
	/* The domain rules of its requests, run after decoding; 0 for a reply. */
	int (*validate)(struct dec *d, const struct wire_msg *m);
};

/* A form whose item maps the whole wire_msg_t (fields name u.x.y themselves). */
#define WIRE_FORM(k, it) { (k), (it), 0 }
/* A form whose item maps one member of the union (u.env, u.state, ...). */
#define WIRE_FORM_AT(k, it, member) { (k), (it), offsetof(struct wire_msg, member) }
/*
 * A form whose body is only fields of wire_msg_t (they name u.x.y
 * themselves), written in place: the item and its table are compound
 * literals, of static storage like any at file scope.
 */
#define WIRE_FLAT(k, ...)                                                                 \
	{ (k),                                                                                \
	  &(const struct wire_item){                                                          \
		.fields = (const struct wire_field[]){__VA_ARGS__},                               \
		.nfields = sizeof((const struct wire_field[]){__VA_ARGS__}) /                     \
		           sizeof(struct wire_field) },                                           \
	  0 }
#define WIRE_FAMILY(nm, f, l, forms_, check)                                              \
	{ .name = (nm), .first = (f), .last = (l), .forms = (forms_),                         \
	  .nforms = sizeof(forms_) / sizeof((forms_)[0]), .validate = (check) }

extern const struct wire_family wire_session;   /* hello, challenge, auth, error */
extern const struct wire_family wire_records;   /* environments and services */
extern const struct wire_family wire_releases;  /* releases, history, the audit log */
extern const struct wire_family wire_agent;     /* agent reports, actions, status */
extern const struct wire_family wire_artifacts; /* artifacts, environment databases, backups */
extern const struct wire_family wire_coord;     /* settings, operations, incidents, decisions */
extern const struct wire_family wire_audit;     /* audit questions and their tables */

/* The table (wire.c), in kind order. */
extern const struct wire_family *const wire_families[];
extern const size_t wire_nfamilies;

#endif
