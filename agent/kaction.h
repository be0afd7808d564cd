/*
 * kaction — executes the server's actions against the Kubernetes API:
 * set-image (exactly what `kubectl set image` sends, then following the
 * rollout like `kubectl rollout status`) and patch-configmap.
 *
 * Idempotent: executing the same action twice has no second effect (an
 * image already set sends no PATCH; configmap values already equal send no
 * PATCH).  It does not lease, retry across agents, or report: the session
 * code does; it only executes and tells what happened.
 *
 * Return codes (result always holds a human text, previous a JSON object):
 *   0             done: result `deployment "X" successfully rolled out`
 *   RW_EINVAL     the action is malformed (rw_action_check)
 *   RW_ENOTFOUND  `deployment NS/NAME not found`,
 *                 `deployment NS/NAME has no container "C"`, `configmap NS/NAME not found`
 *   RW_EUNAVAIL   the rollout failed: Progressing reason ProgressDeadlineExceeded
 *                 (kubectl's `exceeded its progress deadline`, rc 1), with the
 *                 failing pods' reasons appended, e.g. `pod X: CrashLoopBackOff (restarts 3)`.
 *                 (Also what kube returns when its cancel flag is set.)
 *   RW_ETIMEDOUT  the action's deadline passed: `timed out waiting for the rollout`;
 *                 or it had passed before the start: nothing is changed then
 *   others        from kube.h (RW_EAUTH, RW_EPERM, RW_ECONNECT, RW_EIO, ...)
 */
#ifndef REWIND_AGENT_KACTION_H
#define REWIND_AGENT_KACTION_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "kube.h"

#define KACTION_FIELD_MANAGER "rewind-agent"
#define KACTION_DEFAULT_DEADLINE_S 600   /* when rw_action_t.deadline is 0 */

/* Called each time the rollout message changes (kubectl's "Waiting for ..." lines). */
typedef void (*kaction_progress_fn)(void *arg, const char *message, int32_t updated,
                                    int32_t available, int32_t replicas);

/*
 * set-image: a->namespace_, a->name (Deployment), a->container, a->image,
 * a->deadline.  previous gets {"image":"<image before>"} as soon as it is
 * known (also on later failures).  progress may be NULL.
 */
int kaction_set_image(kube_t *k, const rw_action_t *a, kaction_progress_fn progress, void *arg,
                      char *previous, size_t prevsz, char *result, size_t resultsz);

/*
 * patch-configmap: sets a->kv[0..nkv) in ConfigMap a->namespace_/a->name with
 * a JSON merge patch.  previous gets {"KEY":"old value" or null if absent}.
 */
int kaction_patch_configmap(kube_t *k, const rw_action_t *a, char *previous, size_t prevsz,
                            char *result, size_t resultsz);

#endif
