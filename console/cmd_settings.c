/*
 * cmd_settings — the environment and service settings the coordinator uses:
 * env set|set-smoke|set-auto-rollback|show and service set-order, each one
 * SETTINGS request answered with the scope's settings.  What the settings
 * mean is the server's business (docs/console.md); here they are only sent
 * and printed.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmds.h"
#include "domain.h"
#include "err.h"

/* --- settings ------------------------------------------------------------------------ */

static const char *const env_setting_flags[] = {"observe-seconds", "verify-seconds", "action-timeout",
                                                "smoke-command",   "smoke-timeout",  "auto-rollback",
                                                "webhook-url",     "webhook-format", "promote-from",
                                                NULL};

static int
settings_print(struct cli *c, wire_msg_t *resp)
{
	const rw_settings_t *s = &resp->u.settings;
	if (c->json) {
		json_t *j = json_object();
		for (uint32_t i = 0; i < s->n; i++)
			json_object_set_new(j, s->items[i].key, json_string(s->items[i].value));
		cmd_print_json(j);
	} else {
		printf("%s/%s\n", s->scope, s->name);
		for (uint32_t i = 0; i < s->n; i++)
			printf("  %-18s %s\n", s->items[i].key, s->items[i].value);
	}
	wire_msg_free(resp);
	return 0;
}

static int
settings_send(struct cli *c, wire_msg_t *req, const char *cmd)
{
	wire_msg_t *resp = NULL;
	int rv;
	if ((rv = cli_check_unused(c, cmd))) {
		wire_msg_free(req);
		return rv;
	}
	if ((rv = cmd_roundtrip(c, req, WIRE_SETTINGS, &resp)))
		return rv;
	return settings_print(c, resp);
}

static int
add_setting(rw_settings_t *s, const char *key, const char *value)
{
	if (s->n >= RW_SETTINGS_MAX || CMD_COPY(s->items[s->n].key, "setting", key) ||
	    CMD_COPY(s->items[s->n].value, key, value))
		return CLI_USAGE;
	s->n++;
	return 0;
}

static int
env_set(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 3 || CMD_COPY(s->name, "env", c->words[2])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	for (size_t i = 0; env_setting_flags[i]; i++) {
		const char *v = cli_get(c, env_setting_flags[i]);
		if (v && add_setting(s, env_setting_flags[i], v)) {
			wire_msg_free(req);
			return CLI_USAGE;
		}
	}
	return settings_send(c, req, "env set");
}

/* env set-smoke E --command CMD [--timeout S]; env set-auto-rollback E on|off */
static int
env_set_smoke(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	const char *t = cli_get(c, "timeout-seconds");
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 3 || CMD_COPY(s->name, "env", c->words[2]) || !cli_get(c, "command") ||
	    add_setting(s, "smoke-command", cli_get(c, "command")) ||
	    (t && add_setting(s, "smoke-timeout", t))) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, "env set-smoke");
}

static int
env_set_auto(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "env");
	if (c->nwords != 4 || CMD_COPY(s->name, "env", c->words[2]) ||
	    add_setting(s, "auto-rollback", c->words[3])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, "env set-auto-rollback");
}

static int
env_show(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_GET, 0);
	if (!req)
		return CLI_FAILED;
	(void)RW_STRCPY(req->u.settings.scope, "env");
	if (c->nwords != 3 || CMD_COPY(req->u.settings.name, "env", c->words[2])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, "env show");
}

static int
service_set_order(struct cli *c)
{
	wire_msg_t *req = wire_msg_new(WIRE_SETTINGS_SET, 0);
	if (!req)
		return CLI_FAILED;
	rw_settings_t *s = &req->u.settings;
	(void)RW_STRCPY(s->scope, "service");
	if (c->nwords != 4 || CMD_COPY(s->name, "service", c->words[2]) ||
	    add_setting(s, "order", c->words[3])) {
		wire_msg_free(req);
		return cmd_usage_err(c);
	}
	return settings_send(c, req, "service set-order");
}

const struct cmd cmds_settings[] = {
    {"env", "set", env_set, "coordinator settings of an environment (admin)",
     "Usage: rewindctl env set ENV [--observe-seconds N] [--verify-seconds N] [--action-timeout N]\n"
     "                        [--smoke-command CMD] [--smoke-timeout N] [--auto-rollback on|off]\n"
     "                        [--webhook-url URL] [--webhook-format slack|generic] [--promote-from ENV]\n"},
    {"env", "set-smoke", env_set_smoke, "set the smoke-test command (admin)",
     "Usage: rewindctl env set-smoke ENV --command CMD [--timeout-seconds S]\n"},
    {"env", "set-auto-rollback", env_set_auto, "opt an environment in or out of automatic rollback (admin)",
     "Usage: rewindctl env set-auto-rollback ENV on|off\n"},
    {"env", "show", env_show, "an environment's coordinator settings", "Usage: rewindctl env show ENV\n"},
    {"service", "set-order", service_set_order, "deploy order of a service, lower first (admin)",
     "Usage: rewindctl service set-order SERVICE N\n"},
    {0},
};
