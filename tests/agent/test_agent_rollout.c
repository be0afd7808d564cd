/* Unit tests for agent/rollout: one test per row of kubectl's rollout-status table. */
#include <string.h>

#include "err.h"
#include "rollout.h"
#include "testlib.h"

static struct rollout_status
eval(const char *json)
{
	json_t *d = tl_json(json);
	struct rollout_status st;
	assert_int_equal(rollout_evaluate(d, &st), 0);
	json_decref(d);
	return st;
}

#define DEP(gen, spec, status) \
	"{\"metadata\":{\"name\":\"mr-dj-frontend\",\"generation\":" #gen "},\"spec\":" spec ",\"status\":" status "}"

static void
test_spec_update_not_observed(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(3, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":2,"
	                                "\"updatedReplicas\":2,\"availableReplicas\":2}"));
	assert_int_equal(st.state, ROLLOUT_WAITING);
	assert_string_equal(st.message, "Waiting for deployment spec update to be observed...");
	/* missing observedGeneration counts as 0: waits forever, like kubectl */
	st = eval(DEP(1, "{\"replicas\":2}", "{}"));
	assert_string_equal(st.message, "Waiting for deployment spec update to be observed...");
}

static void
test_deadline_exceeded(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(2, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":3,"
	    "\"updatedReplicas\":1,\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"},"
	    "{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}"));
	assert_int_equal(st.state, ROLLOUT_FAILED);
	assert_string_equal(st.message, "deployment \"mr-dj-frontend\" exceeded its progress deadline");
	/* only once observedGeneration caught up */
	st = eval(DEP(3, "{\"replicas\":2}", "{\"observedGeneration\":2,"
	    "\"conditions\":[{\"type\":\"Progressing\",\"reason\":\"ProgressDeadlineExceeded\"}]}"));
	assert_int_equal(st.state, ROLLOUT_WAITING);
}

static void
test_new_replicas_updated(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(2, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":2,"
	    "\"updatedReplicas\":0,\"availableReplicas\":2,\"conditions\":[{\"type\":\"Progressing\","
	    "\"reason\":\"ReplicaSetUpdated\"}]}"));
	assert_int_equal(st.state, ROLLOUT_WAITING);
	assert_string_equal(st.message, "Waiting for deployment \"mr-dj-frontend\" rollout to finish: "
	                                "0 out of 2 new replicas have been updated...");
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.replicas, 2);
}

static void
test_old_pending_termination(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(2, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":4,"
	                                "\"updatedReplicas\":2,\"availableReplicas\":3}"));
	assert_string_equal(st.message, "Waiting for deployment \"mr-dj-frontend\" rollout to finish: "
	                                "2 old replicas are pending termination...");
}

static void
test_available_lt_updated(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(2, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":2,"
	                                "\"updatedReplicas\":2,\"availableReplicas\":1}"));
	assert_string_equal(st.message, "Waiting for deployment \"mr-dj-frontend\" rollout to finish: "
	                                "1 of 2 updated replicas are available...");
	assert_int_equal(st.available, 1);
}

static void
test_done(void **s)
{
	(void)s;
	struct rollout_status st = eval(DEP(2, "{\"replicas\":2}", "{\"observedGeneration\":2,\"replicas\":2,"
	                                "\"updatedReplicas\":2,\"availableReplicas\":2}"));
	assert_int_equal(st.state, ROLLOUT_DONE);
	assert_string_equal(st.message, "deployment \"mr-dj-frontend\" successfully rolled out");
	/* observed ahead of generation is fine; a nil spec.replicas skips the first check */
	st = eval(DEP(1, "{}", "{\"observedGeneration\":5}"));
	assert_int_equal(st.state, ROLLOUT_DONE);
	assert_int_equal(st.replicas, -1);
	/* scaled to zero */
	st = eval(DEP(4, "{\"replicas\":0}", "{\"observedGeneration\":4}"));
	assert_int_equal(st.state, ROLLOUT_DONE);
}

static void
test_garbage(void **s)
{
	(void)s;
	struct rollout_status st;
	json_t *j = json_loads("[1,2]", 0, NULL);
	assert_int_equal(rollout_evaluate(j, &st), RW_EINVAL);
	json_decref(j);
	assert_int_equal(rollout_evaluate(NULL, &st), RW_EINVAL);
	j = json_loads("{\"metadata\":{\"name\":7}}", 0, NULL);
	assert_int_equal(rollout_evaluate(j, &st), RW_EINVAL);
	json_decref(j);
	/* wrong types count as zero values, never crash */
	st = eval("{\"metadata\":{\"name\":\"x\",\"generation\":\"2\"},\"spec\":[],\"status\":{\"conditions\":7}}");
	assert_int_equal(st.state, ROLLOUT_DONE);
}

TL_MAIN("tests", NULL, NULL,
	test_spec_update_not_observed, test_deadline_exceeded, test_new_replicas_updated,
	test_old_pending_termination, test_available_lt_updated, test_done, test_garbage)
