// lib/util/tevent_unix.c: requests whose errors are errno values.

import { EINVAL, ENOMEM, ETIMEDOUT, getErrno } from "../lib/errno";
import { TeventContext } from "./internal";
import { TeventReq, teventReqIsError, teventReqPoll, teventReqReceived,
         TEVENT_REQ_NO_MEMORY, TEVENT_REQ_TIMED_OUT, TEVENT_REQ_USER_ERROR } from "./req";

/**
 * tevent_req_is_unix_error(): false when req is done; otherwise true and
 * perrno: the error given to teventReqError, ETIMEDOUT for a time-out,
 * ENOMEM for teventReqOom, EINVAL for any other state.
 */
export function teventReqIsUnixError(req: TeventReq): { ret: boolean; perrno: number } {
  if (!(req instanceof TeventReq)) throw new TypeError("teventReqIsUnixError: req must be a TeventReq");
  const { ret, state, error } = teventReqIsError(req);
  if (!ret) return { ret: false, perrno: 0 };
  switch (state) {
    case TEVENT_REQ_TIMED_OUT: return { ret: true, perrno: ETIMEDOUT };
    case TEVENT_REQ_NO_MEMORY: return { ret: true, perrno: ENOMEM };
    case TEVENT_REQ_USER_ERROR: return { ret: true, perrno: error };
    default: return { ret: true, perrno: EINVAL };
  }
}

/** tevent_req_simple_recv_unix(): 0 or the errno, and the request is received. */
export function teventReqSimpleRecvUnix(req: TeventReq): number {
  const { perrno } = teventReqIsUnixError(req);
  teventReqReceived(req);
  return perrno;
}

/** tevent_req_poll_unix(): teventReqPoll, with errno in err when the loop fails. */
export async function teventReqPollUnix(req: TeventReq, ev: TeventContext): Promise<{ ret: boolean; err: number }> {
  const ret = await teventReqPoll(req, ev);
  return ret ? { ret, err: 0 } : { ret, err: getErrno() };
}
