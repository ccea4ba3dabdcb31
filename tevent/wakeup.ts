// tevent_wakeup_send/recv (tevent_req.c): a request that finishes at a given time.

import { TallocCtx } from "../lib/talloc";
import { Timeval } from "../lib/types";
import { TeventContext } from "./internal";
import { TeventReq, teventReqCreate, teventReqIsError, teventReqPost, teventReqSetEndtime,
         TEVENT_REQ_TIMED_OUT } from "./req";

class TeventWakeupState {}

/** tevent_wakeup_send(): finishes (as TEVENT_REQ_TIMED_OUT) at wakeupTime. */
export function teventWakeupSend(memCtx: TallocCtx, ev: TeventContext, wakeupTime: Timeval): TeventReq {
  const req = teventReqCreate(memCtx, new TeventWakeupState(), "struct tevent_wakeup_state");
  if (!teventReqSetEndtime(req, ev, wakeupTime)) return teventReqPost(req, ev);
  return req;
}

/**
 * tevent_wakeup_recv(): true when the wake-up time was reached.  As in C
 * it does not mark the request received; free it when done.
 */
export function teventWakeupRecv(req: TeventReq): boolean {
  const { ret, state } = teventReqIsError(req);
  return ret && state === TEVENT_REQ_TIMED_OUT;
}
