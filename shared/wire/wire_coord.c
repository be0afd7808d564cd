/*
 * wire_coord — the coordination half of the wire module: settings,
 * operations (deploy, promote, rollback, config set/revert) and their
 * progress, incidents with their timeline, decisions and reports.  Same
 * rules as wire.c: bounded copies into domain structs, counts capped,
 * requests validated; protobuf-c structs never leave this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire_int.h"

/* ---------------------------------------------------------------------- */
/* decoding                                                               */

static int
dec_kvs(struct dec *d, Rewind__V1__KeyValue *const *src, size_t n, rw_kv_t *kv, uint32_t *nkv)
{
	int rv;
	if (n > RW_KV_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "data", "too many keys (at most 16)");
	for (size_t i = 0; i < n; i++)
		if ((rv = DEC_STR(d, kv[i].key, src[i]->key, "key")) ||
		    (rv = DEC_STR(d, kv[i].value, src[i]->value, "value")))
			return rv;
	*nkv = (uint32_t)n;
	return 0;
}

static int
dec_answers(struct dec *d, Rewind__V1__KeyValue *const *src, size_t n, rw_answer_t *a,
            uint32_t *na)
{
	int rv;
	if (n > RW_ANSWERS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "answers", "too many");
	for (size_t i = 0; i < n; i++)
		if ((rv = DEC_STR(d, a[i].key, src[i]->key, "answer")) ||
		    (rv = DEC_STR(d, a[i].value, src[i]->value, "answer value")))
			return rv;
	*na = (uint32_t)n;
	return 0;
}

static int
dec_settings(struct dec *d, const char *scope, const char *name, Rewind__V1__KeyValue *const *items,
             size_t n, rw_settings_t *s)
{
	int rv;
	if (n > RW_SETTINGS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "settings", "at most 16");
	if ((rv = DEC_STR(d, s->scope, scope, "scope")) || (rv = DEC_STR(d, s->name, name, "name")))
		return rv;
	for (size_t i = 0; i < n; i++)
		if ((rv = DEC_STR(d, s->items[i].key, items[i]->key, "setting")) ||
		    (rv = DEC_STR(d, s->items[i].value, items[i]->value, "setting value")))
			return rv;
	s->n = (uint32_t)n;
	return 0;
}

static int
dec_op_start(struct dec *d, const Rewind__V1__OpStart *p, rw_op_request_t *r)
{
	int rv;
	if (p->n_releases > RW_OP_REFS_MAX || p->n_services > RW_OP_REFS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "release", "at most 16 per operation");
	r->kind = rw_op_kind_parse(p->kind);
	r->incident_id = p->incident_id;
	r->revert_id = p->revert_id;
	r->hotfix = p->hotfix;
	if ((rv = DEC_STR(d, r->env, p->env, "env")) ||
	    (rv = DEC_STR(d, r->from_env, p->from_env, "from")) ||
	    (rv = DEC_STR(d, r->reason, p->reason, "reason")) ||
	    (rv = DEC_STR(d, r->override_gate, p->override_gate, "override-gate")) ||
	    (rv = DEC_STR(d, r->configmap, p->configmap, "configmap")) ||
	    (rv = DEC_STR(d, r->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, r->branch_from, p->branch_from, "branch-from")))
		return rv;
	for (size_t i = 0; i < p->n_releases; i++)
		if ((rv = DEC_STR(d, r->releases[i], p->releases[i], "release")))
			return rv;
	r->nreleases = (uint32_t)p->n_releases;
	for (size_t i = 0; i < p->n_services; i++)
		if ((rv = DEC_STR(d, r->services[i], p->services[i], "service")))
			return rv;
	r->nservices = (uint32_t)p->n_services;
	return dec_kvs(d, p->data, p->n_data, r->kv, &r->nkv);
}

static int
dec_step(struct dec *d, const Rewind__V1__OpStep *p, rw_op_step_t *s)
{
	s->release_id = p->release_id;
	s->deployment_id = p->deployment_id;
	s->action_id = p->action_id;
	s->known_good = p->known_good;
	s->updated = p->updated;
	s->available = p->available;
	s->replicas = p->replicas;
	s->observe_until = p->observe_until;
	return DEC_STR(d, s->service, p->service, "service") ?:
	       DEC_STR(d, s->version, p->version, "version") ?:
	       DEC_STR(d, s->image, p->image, "image") ?:
	       DEC_STR(d, s->previous_image, p->previous_image, "previous-image") ?:
	       DEC_STR(d, s->state, p->state, "state") ?:
	       DEC_STR(d, s->outcome, p->outcome, "outcome") ?:
	       DEC_STR(d, s->health, p->health, "health") ?:
	       DEC_STR(d, s->message, p->message, "message") ?:
	       DEC_STR(d, s->migrations_compat, p->migrations_compat, "migrations-compat") ?:
	       DEC_STR(d, s->digest, p->digest, "digest");
}

static int
dec_operation(struct dec *d, const Rewind__V1__Operation *p, rw_operation_t *o)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "operation", "missing");
	if (p->n_steps > RW_OP_STEPS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "steps", "too many");
	o->id = p->id;
	o->kind = rw_op_kind_parse(p->kind);
	o->incident_id = p->incident_id;
	o->created_at = p->created_at;
	o->started_at = p->started_at;
	o->finished_at = p->finished_at;
	o->seq = p->seq;
	o->smoke_rc = p->smoke_rc;
	if ((rv = DEC_STR(d, o->env, p->env, "env")) || (rv = DEC_STR(d, o->state, p->state, "state")) ||
	    (rv = DEC_STR(d, o->reason, p->reason, "reason")) ||
	    (rv = DEC_STR(d, o->override_gate, p->override_gate, "override-gate")) ||
	    (rv = DEC_STR(d, o->warnings, p->warnings, "warnings")) ||
	    (rv = DEC_STR(d, o->result, p->result, "result")) ||
	    (rv = DEC_STR(d, o->created_by, p->created_by, "created-by")) ||
	    (rv = DEC_STR(d, o->smoke_output, p->smoke_output, "smoke-output")) ||
	    (rv = DEC_STR(d, o->phase, p->phase, "phase")) ||
	    (rv = DEC_STR(d, o->configmap, p->configmap, "configmap")) ||
	    (rv = DEC_STR(d, o->namespace_, p->namespace_, "namespace")) ||
	    (rv = DEC_STR(d, o->previous, p->previous, "previous")))
		return rv;
	for (size_t i = 0; i < p->n_steps; i++)
		if ((rv = dec_step(d, p->steps[i], &o->steps[i])))
			return rv;
	o->nsteps = (uint32_t)p->n_steps;
	return dec_kvs(d, p->data, p->n_data, o->kv, &o->nkv);
}

static int
dec_incident(struct dec *d, const Rewind__V1__Incident *p, rw_incident_t *o, bool timeline)
{
	int rv;
	if (!p)
		return wire_dec_fail(d, RW_EINVAL, "incident", "missing");
	o->id = p->id;
	o->opened_at = p->opened_at;
	o->detected_at = p->detected_at;
	o->recovered_at = p->recovered_at;
	o->closed_at = p->closed_at;
	if ((rv = DEC_STR(d, o->env, p->env, "env")) || (rv = DEC_STR(d, o->title, p->title, "title")) ||
	    (rv = DEC_STR(d, o->severity, p->severity, "severity")) ||
	    (rv = DEC_STR(d, o->coordinator, p->coordinator, "coordinator")) ||
	    (rv = DEC_STR(d, o->status, p->status, "status")) ||
	    (rv = DEC_STR(d, o->decision, p->decision, "decision")) ||
	    (rv = DEC_STR(d, o->summary, p->summary, "summary")) ||
	    (rv = DEC_STR(d, o->root_cause, p->root_cause, "root-cause")) ||
	    (rv = dec_answers(d, p->answers, p->n_answers, o->answers, &o->nanswers)))
		return rv;
	if (!timeline || p->n_timeline == 0)
		return 0;
	if (p->n_timeline > RW_TIMELINE_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "timeline", "too many entries");
	if (!(o->timeline = calloc(p->n_timeline, sizeof(*o->timeline))))
		return RW_ENOMEM;
	for (size_t i = 0; i < p->n_timeline; i++) {
		rw_timeline_t *t = &o->timeline[i];
		t->at = p->timeline[i]->at;
		if ((rv = DEC_STR(d, t->kind, p->timeline[i]->kind, "kind")) ||
		    (rv = DEC_STR(d, t->actor, p->timeline[i]->actor, "actor")) ||
		    (rv = DEC_STR(d, t->text, p->timeline[i]->text, "text")))
			return rv;
		o->ntimeline = i + 1;
	}
	return 0;
}

/* A list reply of n items of sz; fill decodes one. */
static int
dec_items(struct dec *d, wire_msg_t *m, size_t n, size_t sz, int (*fill)(struct dec *, const void *, void *),
          void *const *src)
{
	char *items;
	int rv;
	if (n > RW_LIST_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "list", "too many items");
	if (n == 0)
		return 0;
	if (!(items = calloc(n, sz)))
		return RW_ENOMEM;
	m->u.list.items = items;
	for (size_t i = 0; i < n; i++) {
		if ((rv = fill(d, src[i], items + i * sz)))
			return rv;
		m->u.list.n = i + 1;
	}
	return 0;
}

static int
fill_op(struct dec *d, const void *p, void *o)
{
	return dec_operation(d, p, o);
}

static int
fill_incident(struct dec *d, const void *p, void *o)
{
	return dec_incident(d, p, o, false);
}

static int
dec_decision(struct dec *d, const Rewind__V1__Decision *p, rw_decision_t *o)
{
	int rv;
	if (p->n_reasons > RW_REASONS_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "reasons", "too many");
	o->incident_id = p->incident_id;
	if ((rv = DEC_STR(d, o->recommendation, p->recommendation, "recommendation")))
		return rv;
	for (size_t i = 0; i < p->n_reasons; i++)
		if ((rv = DEC_STR(d, o->reasons[i], p->reasons[i], "reason")))
			return rv;
	o->nreasons = (uint32_t)p->n_reasons;
	return dec_answers(d, p->answers, p->n_answers, o->answers, &o->nanswers) ?:
	       dec_answers(d, p->facts, p->n_facts, o->facts, &o->nfacts);
}

static int
dec_report(struct dec *d, const Rewind__V1__Report *p, wire_msg_t *m)
{
	size_t n = p->markdown ? strlen(p->markdown) : 0;
	if (n > RW_REPORT_MAX)
		return wire_dec_fail(d, RW_ETOOBIG, "report", "too long");
	if (!(m->u.text = malloc(n + 1)))
		return RW_ENOMEM;
	memcpy(m->u.text, n ? p->markdown : "", n + 1);
	return 0;
}

static int
dec_requests(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_SETTINGS_SET:
		return dec_settings(d, e->settings_set->scope, e->settings_set->name,
		                    e->settings_set->items, e->settings_set->n_items, &m->u.settings);
	case WIRE_SETTINGS_GET:
		return dec_settings(d, e->settings_get->scope, e->settings_get->name, NULL, 0,
		                    &m->u.settings);
	case WIRE_OP_START:
		return dec_op_start(d, e->op_start, &m->u.opreq);
	case WIRE_OP_GET:
		m->u.opget.id = e->op_get->id;
		m->u.opget.wait_ms = e->op_get->wait_ms;
		m->u.opget.after_seq = e->op_get->after_seq;
		return 0;
	case WIRE_OP_LIST:
		m->u.query.limit = e->op_list->limit;
		return DEC_STR(d, m->u.query.env, e->op_list->env, "env");
	case WIRE_INCIDENT_OPEN:
		return DEC_STR(d, m->u.incident.env, e->incident_open->env, "env") ?:
		       DEC_STR(d, m->u.incident.title, e->incident_open->title, "title") ?:
		       DEC_STR(d, m->u.incident.severity, e->incident_open->severity, "severity") ?:
		       DEC_STR(d, m->u.incident.coordinator, e->incident_open->coordinator,
		               "coordinator");
	case WIRE_INCIDENT_GET:
		m->u.opget.id = e->incident_get->id;
		return 0;
	case WIRE_INCIDENT_REPORT:
		m->u.opget.id = e->incident_report->id;
		return 0;
	case WIRE_INCIDENT_LIST:
		m->u.query.limit = e->incident_list->limit;
		return DEC_STR(d, m->u.query.env, e->incident_list->env, "env");
	case WIRE_INCIDENT_CLOSE:
		m->u.incident.id = e->incident_close->id;
		return DEC_STR(d, m->u.incident.summary, e->incident_close->summary, "summary") ?:
		       DEC_STR(d, m->u.incident.root_cause, e->incident_close->root_cause,
		               "root-cause");
	case WIRE_DECIDE:
		m->u.decide.incident_id = e->decide->incident_id;
		m->u.decide.dry_run = e->decide->dry_run;
		return DEC_STR(d, m->u.decide.env, e->decide->env, "env") ?:
		       dec_answers(d, e->decide->answers, e->decide->n_answers, m->u.decide.answers,
		                   &m->u.decide.nanswers);
	default:
		return wire_dec_fail(d, RW_EPROTO, NULL, "unknown message type");
	}
}

int
wire_dec_coord(struct dec *d, const pb_env_t *e, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_SETTINGS:
		return dec_settings(d, e->settings->scope, e->settings->name, e->settings->items,
		                    e->settings->n_items, &m->u.settings);
	case WIRE_OPERATION:
		return dec_operation(d, e->operation, &m->u.op);
	case WIRE_OP_LIST_OK:
		return dec_items(d, m, e->op_list_ok->n_items, sizeof(rw_operation_t), fill_op,
		                 (void *const *)e->op_list_ok->items);
	case WIRE_INCIDENT:
		return dec_incident(d, e->incident, &m->u.incident, true);
	case WIRE_INCIDENT_LIST_OK:
		return dec_items(d, m, e->incident_list_ok->n_items, sizeof(rw_incident_t),
		                 fill_incident, (void *const *)e->incident_list_ok->items);
	case WIRE_DECISION:
		return dec_decision(d, e->decision, &m->u.decision);
	case WIRE_REPORT:
		return dec_report(d, e->report, m);
	default:
		return dec_requests(d, e, m);
	}
}

int
wire_validate_coord(struct dec *d, wire_msg_t *m)
{
	switch (m->kind) {
	case WIRE_SETTINGS_SET:
		return rw_settings_check(&m->u.settings, d->msg, d->msgsz);
	case WIRE_SETTINGS_GET:
		return m->u.settings.n == 0 ? rw_settings_check(&m->u.settings, d->msg, d->msgsz) : 0;
	case WIRE_OP_START:
		return rw_op_request_check(&m->u.opreq, d->msg, d->msgsz);
	case WIRE_OP_LIST:
	case WIRE_INCIDENT_LIST:
		return m->u.query.env[0] ? rw_check_name("env", m->u.query.env, d->msg, d->msgsz) : 0;
	case WIRE_INCIDENT_OPEN:
		return rw_incident_open_check(&m->u.incident, d->msg, d->msgsz);
	case WIRE_INCIDENT_CLOSE:
		if (m->u.incident.id <= 0)
			return wire_dec_fail(d, RW_EINVAL, "id", "must be an incident id");
		return rw_check_text("summary", m->u.incident.summary, RW_TEXT_MAX, d->msg, d->msgsz) ?:
		       rw_check_text("root-cause", m->u.incident.root_cause, RW_TEXT_MAX, d->msg,
		                     d->msgsz);
	case WIRE_DECIDE:
		return rw_decide_check(&m->u.decide, d->msg, d->msgsz);
	default:
		return 0;
	}
}

void
wire_coord_free(wire_msg_t *m)
{
	if (m->kind == WIRE_INCIDENT) {
		free(m->u.incident.timeline);
		m->u.incident.timeline = NULL;
	}
	if (m->kind == WIRE_REPORT) {
		free(m->u.text);
		m->u.text = NULL;
	}
}

/* ---------------------------------------------------------------------- */
/* encoding                                                               */

#define S(x) ((char *)(x))


/* n key/value pairs as repeated KeyValue; NULL only when out of memory. */
static Rewind__V1__KeyValue **
enc_pairs(struct wire_arena *x, size_t n, const char *(*key)(const void *, size_t),
          const char *(*val)(const void *, size_t), const void *src)
{
	Rewind__V1__KeyValue *kv = wire_arena_alloc(x, n, sizeof(*kv));
	Rewind__V1__KeyValue **pp = wire_arena_alloc(x, n, sizeof(*pp));
	if (!kv || !pp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		rewind__v1__key_value__init(&kv[i]);
		kv[i].key = S(key(src, i));
		kv[i].value = S(val(src, i));
		pp[i] = &kv[i];
	}
	return pp;
}

static const char *kv_key(const void *s, size_t i) { return ((const rw_kv_t *)s)[i].key; }
static const char *kv_val(const void *s, size_t i) { return ((const rw_kv_t *)s)[i].value; }
static const char *an_key(const void *s, size_t i) { return ((const rw_answer_t *)s)[i].key; }
static const char *an_val(const void *s, size_t i) { return ((const rw_answer_t *)s)[i].value; }
static const char *
set_key(const void *s, size_t i)
{
	return ((const rw_settings_t *)s)->items[i].key;
}
static const char *
set_val(const void *s, size_t i)
{
	return ((const rw_settings_t *)s)->items[i].value;
}

static Rewind__V1__OpStep *
enc_step(struct wire_arena *x, const rw_op_step_t *s)
{
	Rewind__V1__OpStep *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return NULL;
	rewind__v1__op_step__init(p);
	p->service = S(s->service);
	p->release_id = s->release_id;
	p->version = S(s->version);
	p->image = S(s->image);
	p->previous_image = S(s->previous_image);
	p->deployment_id = s->deployment_id;
	p->action_id = s->action_id;
	p->state = S(s->state);
	p->outcome = S(s->outcome);
	p->known_good = s->known_good;
	p->updated = s->updated;
	p->available = s->available;
	p->replicas = s->replicas;
	p->health = S(s->health);
	p->message = S(s->message);
	p->migrations_compat = S(s->migrations_compat);
	p->digest = S(s->digest);
	p->observe_until = s->observe_until;
	return p;
}

static Rewind__V1__Operation *
enc_operation(struct wire_arena *x, const rw_operation_t *o)
{
	Rewind__V1__Operation *p = wire_arena_alloc(x, 1, sizeof(*p));
	Rewind__V1__OpStep **steps = wire_arena_alloc(x, o->nsteps, sizeof(*steps));
	uint32_t n = o->nsteps > RW_OP_STEPS_MAX ? RW_OP_STEPS_MAX : o->nsteps;
	uint32_t nkv = o->nkv > RW_KV_MAX ? RW_KV_MAX : o->nkv;
	if (!p || !steps)
		return NULL;
	rewind__v1__operation__init(p);
	p->id = o->id;
	p->kind = S(rw_op_kind_name(o->kind));
	p->env = S(o->env);
	p->state = S(o->state);
	p->reason = S(o->reason);
	p->override_gate = S(o->override_gate);
	p->incident_id = o->incident_id;
	p->warnings = S(o->warnings);
	p->result = S(o->result);
	p->created_by = S(o->created_by);
	p->created_at = o->created_at;
	p->started_at = o->started_at;
	p->finished_at = o->finished_at;
	p->seq = o->seq;
	p->smoke_rc = o->smoke_rc;
	p->smoke_output = S(o->smoke_output);
	p->phase = S(o->phase);
	p->configmap = S(o->configmap);
	p->namespace_ = S(o->namespace_);
	p->previous = S(o->previous);
	for (uint32_t i = 0; i < n; i++)
		if (!(steps[i] = enc_step(x, &o->steps[i])))
			return NULL;
	p->steps = steps;
	p->n_steps = n;
	if (nkv && !(p->data = enc_pairs(x, nkv, kv_key, kv_val, o->kv)))
		return NULL;
	p->n_data = nkv;
	return p;
}

static Rewind__V1__Incident *
enc_incident(struct wire_arena *x, const rw_incident_t *o)
{
	Rewind__V1__Incident *p = wire_arena_alloc(x, 1, sizeof(*p));
	uint32_t na = o->nanswers > RW_ANSWERS_MAX ? RW_ANSWERS_MAX : o->nanswers;
	size_t nt = o->timeline ? o->ntimeline : 0;
	if (!p)
		return NULL;
	rewind__v1__incident__init(p);
	p->id = o->id;
	p->env = S(o->env);
	p->title = S(o->title);
	p->severity = S(o->severity);
	p->coordinator = S(o->coordinator);
	p->status = S(o->status);
	p->opened_at = o->opened_at;
	p->detected_at = o->detected_at;
	p->recovered_at = o->recovered_at;
	p->closed_at = o->closed_at;
	p->decision = S(o->decision);
	p->summary = S(o->summary);
	p->root_cause = S(o->root_cause);
	if (na && !(p->answers = enc_pairs(x, na, an_key, an_val, o->answers)))
		return NULL;
	p->n_answers = na;
	if (nt) {
		Rewind__V1__TimelineEntry *t = wire_arena_alloc(x, nt, sizeof(*t));
		Rewind__V1__TimelineEntry **tp = wire_arena_alloc(x, nt, sizeof(*tp));
		if (!t || !tp)
			return NULL;
		for (size_t i = 0; i < nt; i++) {
			rewind__v1__timeline_entry__init(&t[i]);
			t[i].at = o->timeline[i].at;
			t[i].kind = S(o->timeline[i].kind);
			t[i].actor = S(o->timeline[i].actor);
			t[i].text = S(o->timeline[i].text);
			tp[i] = &t[i];
		}
		p->timeline = tp;
		p->n_timeline = nt;
	}
	return p;
}

/* The items of a list reply, each encoded by fn. */
static void **
enc_list(struct wire_arena *x, const wire_msg_t *m, size_t sz, void *(*fn)(struct wire_arena *, const void *))
{
	void **pp = wire_arena_alloc(x, m->u.list.n, sizeof(*pp));
	for (size_t i = 0; pp && i < m->u.list.n; i++)
		if (!(pp[i] = fn(x, (const char *)m->u.list.items + i * sz)))
			return NULL;
	return pp;
}

static void *
enc_op_v(struct wire_arena *x, const void *o)
{
	return enc_operation(x, o);
}

static void *
enc_incident_v(struct wire_arena *x, const void *o)
{
	return enc_incident(x, o);
}

static int
enc_settings(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	const rw_settings_t *s = &m->u.settings;
	uint32_t n = s->n > RW_SETTINGS_MAX ? RW_SETTINGS_MAX : s->n;
	Rewind__V1__KeyValue **items = n ? enc_pairs(x, n, set_key, set_val, s) : NULL;
	if (n && !items)
		return RW_ENOMEM;
	if (m->kind == WIRE_SETTINGS_GET) {
		Rewind__V1__SettingsGet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__settings_get__init(p);
		p->scope = S(s->scope);
		p->name = S(s->name);
		e->settings_get = p;
		return 0;
	}
	if (m->kind == WIRE_SETTINGS_SET) {
		Rewind__V1__SettingsSet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__settings_set__init(p);
		p->scope = S(s->scope);
		p->name = S(s->name);
		p->items = items;
		p->n_items = n;
		e->settings_set = p;
		return 0;
	}
	Rewind__V1__Settings *p = wire_arena_alloc(x, 1, sizeof(*p));
	if (!p)
		return RW_ENOMEM;
	rewind__v1__settings__init(p);
	p->scope = S(s->scope);
	p->name = S(s->name);
	p->items = items;
	p->n_items = n;
	e->settings = p;
	return 0;
}

static int
enc_op_start(struct wire_arena *x, const rw_op_request_t *r, pb_env_t *e)
{
	Rewind__V1__OpStart *p = wire_arena_alloc(x, 1, sizeof(*p));
	char **rel = wire_arena_alloc(x, r->nreleases, sizeof(*rel));
	char **svc = wire_arena_alloc(x, r->nservices, sizeof(*svc));
	uint32_t nr = r->nreleases > RW_OP_REFS_MAX ? RW_OP_REFS_MAX : r->nreleases;
	uint32_t ns = r->nservices > RW_OP_REFS_MAX ? RW_OP_REFS_MAX : r->nservices;
	uint32_t nkv = r->nkv > RW_KV_MAX ? RW_KV_MAX : r->nkv;
	if (!p || !rel || !svc)
		return RW_ENOMEM;
	rewind__v1__op_start__init(p);
	p->kind = S(rw_op_kind_name(r->kind));
	p->env = S(r->env);
	for (uint32_t i = 0; i < nr; i++)
		rel[i] = S(r->releases[i]);
	for (uint32_t i = 0; i < ns; i++)
		svc[i] = S(r->services[i]);
	p->releases = rel;
	p->n_releases = nr;
	p->services = svc;
	p->n_services = ns;
	p->from_env = S(r->from_env);
	p->reason = S(r->reason);
	p->override_gate = S(r->override_gate);
	p->incident_id = r->incident_id;
	p->configmap = S(r->configmap);
	p->namespace_ = S(r->namespace_);
	p->branch_from = S(r->branch_from);
	p->revert_id = r->revert_id;
	p->hotfix = r->hotfix;
	if (nkv && !(p->data = enc_pairs(x, nkv, kv_key, kv_val, r->kv)))
		return RW_ENOMEM;
	p->n_data = nkv;
	e->op_start = p;
	return 0;
}

static int
enc_decision(struct wire_arena *x, const rw_decision_t *o, pb_env_t *e)
{
	Rewind__V1__Decision *p = wire_arena_alloc(x, 1, sizeof(*p));
	uint32_t nr = o->nreasons > RW_REASONS_MAX ? RW_REASONS_MAX : o->nreasons;
	uint32_t na = o->nanswers > RW_ANSWERS_MAX ? RW_ANSWERS_MAX : o->nanswers;
	uint32_t nf = o->nfacts > RW_ANSWERS_MAX ? RW_ANSWERS_MAX : o->nfacts;
	char **reasons = wire_arena_alloc(x, nr, sizeof(*reasons));
	if (!p || !reasons)
		return RW_ENOMEM;
	rewind__v1__decision__init(p);
	p->incident_id = o->incident_id;
	p->recommendation = S(o->recommendation);
	for (uint32_t i = 0; i < nr; i++)
		reasons[i] = S(o->reasons[i]);
	p->reasons = reasons;
	p->n_reasons = nr;
	if ((na && !(p->answers = enc_pairs(x, na, an_key, an_val, o->answers))) ||
	    (nf && !(p->facts = enc_pairs(x, nf, an_key, an_val, o->facts))))
		return RW_ENOMEM;
	p->n_answers = na;
	p->n_facts = nf;
	e->decision = p;
	return 0;
}

static int
enc_decide(struct wire_arena *x, const rw_decide_t *d, pb_env_t *e)
{
	Rewind__V1__Decide *p = wire_arena_alloc(x, 1, sizeof(*p));
	uint32_t na = d->nanswers > RW_ANSWERS_MAX ? RW_ANSWERS_MAX : d->nanswers;
	if (!p)
		return RW_ENOMEM;
	rewind__v1__decide__init(p);
	p->env = S(d->env);
	p->incident_id = d->incident_id;
	p->dry_run = d->dry_run;
	if (na && !(p->answers = enc_pairs(x, na, an_key, an_val, d->answers)))
		return RW_ENOMEM;
	p->n_answers = na;
	e->decide = p;
	return 0;
}

/* Requests whose body is only ids, names and limits. */
static int
enc_small(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_OP_GET: {
		Rewind__V1__OpGet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__op_get__init(p);
		p->id = m->u.opget.id;
		p->wait_ms = m->u.opget.wait_ms;
		p->after_seq = m->u.opget.after_seq;
		e->op_get = p;
		return 0;
	}
	case WIRE_OP_LIST: {
		Rewind__V1__OpList *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__op_list__init(p);
		p->env = S(m->u.query.env);
		p->limit = m->u.query.limit;
		e->op_list = p;
		return 0;
	}
	case WIRE_INCIDENT_LIST: {
		Rewind__V1__IncidentList *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_list__init(p);
		p->env = S(m->u.query.env);
		p->limit = m->u.query.limit;
		e->incident_list = p;
		return 0;
	}
	case WIRE_INCIDENT_GET: {
		Rewind__V1__IncidentGet *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_get__init(p);
		p->id = m->u.opget.id;
		e->incident_get = p;
		return 0;
	}
	case WIRE_INCIDENT_REPORT: {
		Rewind__V1__IncidentReport *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_report__init(p);
		p->id = m->u.opget.id;
		e->incident_report = p;
		return 0;
	}
	case WIRE_INCIDENT_OPEN: {
		Rewind__V1__IncidentOpen *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_open__init(p);
		p->env = S(m->u.incident.env);
		p->title = S(m->u.incident.title);
		p->severity = S(m->u.incident.severity);
		p->coordinator = S(m->u.incident.coordinator);
		e->incident_open = p;
		return 0;
	}
	case WIRE_INCIDENT_CLOSE: {
		Rewind__V1__IncidentClose *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_close__init(p);
		p->id = m->u.incident.id;
		p->summary = S(m->u.incident.summary);
		p->root_cause = S(m->u.incident.root_cause);
		e->incident_close = p;
		return 0;
	}
	default:
		return RW_EINVAL;
	}
}

int
wire_enc_coord(struct wire_arena *x, const wire_msg_t *m, pb_env_t *e)
{
	switch (m->kind) {
	case WIRE_SETTINGS_SET:
	case WIRE_SETTINGS:
	case WIRE_SETTINGS_GET:
		return enc_settings(x, m, e);
	case WIRE_OP_START:
		return enc_op_start(x, &m->u.opreq, e);
	case WIRE_OPERATION:
		return (e->operation = enc_operation(x, &m->u.op)) ? 0 : RW_ENOMEM;
	case WIRE_OP_LIST_OK: {
		Rewind__V1__OpListOk *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__op_list_ok__init(p);
		p->items = (Rewind__V1__Operation **)enc_list(x, m, sizeof(rw_operation_t), enc_op_v);
		if (!p->items)
			return RW_ENOMEM;
		p->n_items = m->u.list.n;
		e->op_list_ok = p;
		return 0;
	}
	case WIRE_INCIDENT:
		return (e->incident = enc_incident(x, &m->u.incident)) ? 0 : RW_ENOMEM;
	case WIRE_INCIDENT_LIST_OK: {
		Rewind__V1__IncidentListOk *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__incident_list_ok__init(p);
		p->items = (Rewind__V1__Incident **)enc_list(x, m, sizeof(rw_incident_t),
		                                             enc_incident_v);
		if (!p->items)
			return RW_ENOMEM;
		p->n_items = m->u.list.n;
		e->incident_list_ok = p;
		return 0;
	}
	case WIRE_DECIDE:
		return enc_decide(x, &m->u.decide, e);
	case WIRE_DECISION:
		return enc_decision(x, &m->u.decision, e);
	case WIRE_REPORT: {
		Rewind__V1__Report *p = wire_arena_alloc(x, 1, sizeof(*p));
		if (!p)
			return RW_ENOMEM;
		rewind__v1__report__init(p);
		p->markdown = m->u.text ? m->u.text : S("");
		e->report = p;
		return 0;
	}
	default:
		return enc_small(x, m, e);
	}
}
