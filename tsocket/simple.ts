// tsocket_simple_int_recv() (tsocket.c, declared in tsocket_internal.h).

import { EIO, ENOMEM, ETIMEDOUT } from "../lib/errno";
import { TeventReq, teventReqIsError, TEVENT_REQ_DONE, TEVENT_REQ_NO_MEMORY, TEVENT_REQ_TIMED_OUT,
         TEVENT_REQ_USER_ERROR } from "../tevent/req";

/* module-local copies: tsc compiles each use of an imported const to a load from the other module's exports */
const REQ_DONE = TEVENT_REQ_DONE;
const REQ_NO_MEMORY = TEVENT_REQ_NO_MEMORY;
const REQ_TIMED_OUT = TEVENT_REQ_TIMED_OUT;
const REQ_USER_ERROR = TEVENT_REQ_USER_ERROR;

/**
 * tsocket_simple_int_recv(): 0 when req is done; otherwise -1 and perrno
 * (the error of a user error, ENOMEM, ETIMEDOUT, else EIO).  It does not
 * mark the request received.
 */
export function tsocketSimpleIntRecv(req: TeventReq): { ret: number; perrno: number } {
  /* what tevent_req_is_error() tells, read from the request directly: no
   * intermediate result object on every _recv (teventReqIsError gives the
   * TypeError for something that is not a request) */
  if (!(req instanceof TeventReq)) teventReqIsError(req);
  const state = req.state;
  if (state === REQ_DONE) return { ret: 0, perrno: 0 };
  switch (state) {
    case REQ_NO_MEMORY: return { ret: -1, perrno: ENOMEM };
    case REQ_TIMED_OUT: return { ret: -1, perrno: ETIMEDOUT };
    case REQ_USER_ERROR: return { ret: -1, perrno: req.err };
    default: return { ret: -1, perrno: EIO };
  }
}

/* the result of every done request, for tsocketSimpleIntRecvShared */
const RECV_DONE: { readonly ret: number; readonly perrno: number } = Object.freeze({ ret: 0, perrno: 0 });

/**
 * @internal tsocketSimpleIntRecv for a library _recv that only reads the
 * result: a done request (every datagram) gives one shared, frozen result
 * instead of a new object.  Not for a result handed to the caller.
 */
export function tsocketSimpleIntRecvShared(req: TeventReq): { readonly ret: number; readonly perrno: number } {
  if (req instanceof TeventReq && req.state === REQ_DONE) return RECV_DONE;
  return tsocketSimpleIntRecv(req);
}
