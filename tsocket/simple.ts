// tsocket_simple_int_recv() (tsocket.c, declared in tsocket_internal.h).

import { EIO, ENOMEM, ETIMEDOUT } from "../lib/errno";
import { TeventReq, teventReqIsError, TEVENT_REQ_NO_MEMORY, TEVENT_REQ_TIMED_OUT,
         TEVENT_REQ_USER_ERROR } from "../tevent/req";

/**
 * tsocket_simple_int_recv(): 0 when req is done; otherwise -1 and perrno
 * (the error of a user error, ENOMEM, ETIMEDOUT, else EIO).  It does not
 * mark the request received.
 */
export function tsocketSimpleIntRecv(req: TeventReq): { ret: number; perrno: number } {
  const { ret, state, error } = teventReqIsError(req);
  if (!ret) return { ret: 0, perrno: 0 };
  switch (state) {
    case TEVENT_REQ_NO_MEMORY: return { ret: -1, perrno: ENOMEM };
    case TEVENT_REQ_TIMED_OUT: return { ret: -1, perrno: ETIMEDOUT };
    case TEVENT_REQ_USER_ERROR: return { ret: -1, perrno: error };
    default: return { ret: -1, perrno: EIO };
  }
}
