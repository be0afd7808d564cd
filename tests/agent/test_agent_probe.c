/* Unit tests for agent/probe's pure parts: JSON subset matching and URL templates. */
#include <string.h>

#include "err.h"
#include "probe.h"
#include "testlib.h"

static bool
m(const char *body, const char *expect, char *why)
{
	return probe_json_matches(body, body ? strlen(body) : 0, expect, why, 200);
}

static void
test_json_matches(void **s)
{
	(void)s;
	char why[200];
	const char *body = "{\"status\":\"ok\",\"service\":\"web\",\"version\":\"v2\",\"n\":1,"
	                   "\"db\":{\"ok\":true,\"lag\":0.5},\"tags\":[1,2]}";
	assert_true(m(body, NULL, why));
	assert_true(m(body, "", why));
	assert_true(m("<html>", "", why));
	assert_true(m(body, "{}", why));
	assert_true(m(body, "{\"status\":\"ok\"}", why));
	assert_true(m(body, "{\"status\":\"ok\",\"version\":\"v2\"}", why));
	assert_true(m(body, "{\"db\":{\"ok\":true}}", why));
	assert_true(m(body, "{\"n\":1.0}", why));
	assert_true(m(body, "{\"tags\":[1,2]}", why));
	assert_false(m(body, "{\"status\":\"error\"}", why));
	assert_string_equal(why, "$.status: expected \"error\", got \"ok\"");
	assert_false(m(body, "{\"db\":{\"ok\":false}}", why));
	assert_string_equal(why, "$.db.ok: expected false, got true");
	assert_false(m(body, "{\"missing\":1}", why));
	assert_string_equal(why, "$.missing: expected 1, got nothing");
	assert_false(m(body, "{\"status\":{\"x\":1}}", why));
	assert_non_null(strstr(why, "expected an object"));
	assert_false(m(body, "{\"tags\":[1]}", why));
	assert_false(m(body, "{\"n\":\"1\"}", why));
	assert_false(m("<html>oops</html>", "{\"status\":\"ok\"}", why));
	assert_string_equal(why, "body is not JSON");
	assert_false(m(NULL, "{\"status\":\"ok\"}", why));
	assert_false(m(body, "[1]", why));
	assert_false(m(body, "{bad", why));
	assert_false(probe_json_matches(body, strlen(body), "{\"x\":1}", NULL, 0)); /* NULL why is fine */
}

static void
test_url_template(void **s)
{
	(void)s;
	rw_pod_state_t p;
	memset(&p, 0, sizeof(p));
	strcpy(p.namespace_, "default");
	strcpy(p.name, "web-abc-12345");
	strcpy(p.node, "k3s-agent-1");
	char out[256];
	assert_int_equal(probe_pod_url("http://{podIP}:{port}{path}", &p, "10.42.0.5", "/api/health", 3000,
	                               out, sizeof(out)), 0);
	assert_string_equal(out, "http://10.42.0.5:3000/api/health");
	assert_int_equal(probe_pod_url("http://127.0.0.1:18081/pods/{namespace}/{pod}{path}", &p, NULL,
	                               "/api/health", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "http://127.0.0.1:18081/pods/default/web-abc-12345/api/health");
	assert_int_equal(probe_pod_url("http://{podIP}:{port}{path}", &p, "fd00::5", "/h", 80, out, sizeof(out)), 0);
	assert_string_equal(out, "http://[fd00::5]:80/h");
	assert_int_equal(probe_pod_url("x/{node}", &p, NULL, NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "x/k3s-agent-1");
	/* errors */
	assert_int_equal(probe_pod_url("http://{podIP}/", &p, NULL, "/", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://{podIP}/", &p, "", "/", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://{nope}/", &p, "1.2.3.4", "/", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://{pod", &p, "1.2.3.4", "/", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://x:{port}", &p, NULL, "/", 0, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://x{path}", &p, NULL, "no-slash", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://x{path}", &p, NULL, "/a b", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://{podIP}/", &p, "1.2.3.4/evil", "/", 80, out, sizeof(out)), RW_EINVAL);
	assert_int_equal(probe_pod_url("http://{podIP}:{port}{path}", &p, "10.42.0.5", "/api/health", 3000,
	                               out, 20), RW_ETOOBIG);
	assert_int_equal(probe_pod_url("http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &p, NULL, NULL, 0, out, 10),
	                 RW_ETOOBIG);
}

TL_MAIN("tests", NULL, NULL,
	test_json_matches, test_url_template)
