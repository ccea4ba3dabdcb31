export {
  TeventContext, TeventTimer, TeventImmediate, TeventFd, TeventSignal,
  TEVENT_FD_READ, TEVENT_FD_WRITE,
  TEVENT_TRACE_BEFORE_WAIT, TEVENT_TRACE_AFTER_WAIT, TEVENT_TRACE_BEFORE_LOOP_ONCE, TEVENT_TRACE_AFTER_LOOP_ONCE,
  TEVENT_EVENT_TRACE_ATTACH, TEVENT_EVENT_TRACE_DETACH, TEVENT_EVENT_TRACE_BEFORE_HANDLER,
} from "./internal";
export type {
  TeventTimerHandler, TeventImmediateHandler, TeventFdHandler, TeventFdCloseFn, TeventSignalHandler,
  TeventTraceCallback, TeventTraceEventCallback, TeventTracePoint, TeventEventTracePoint,
} from "./internal";
export {
  teventContextInit, teventContextInitByname, teventBackendList, teventSignalSupport, teventSetAbortFn,
  teventLoopAllowNesting, teventLoopOnce, teventLoopWait, teventLoopUntil,
} from "./tevent";
export {
  teventTimevalCompare, teventTimevalZero, teventTimevalCurrent, teventTimevalSet, teventTimevalUntil,
  teventTimevalIsZero, teventTimevalAdd, teventTimevalCurrentOfs, teventAddTimer, teventUpdateTimer,
  teventTimerSetTag, teventTimerGetTag,
} from "./timed";
export {
  teventCreateImmediate, teventScheduleImmediate, teventImmediateSetTag, teventImmediateGetTag,
} from "./immediate";
export {
  teventAddFd, teventFdGetFlags, teventFdSetFlags, teventFdSetCloseFn, teventFdSetAutoClose,
  teventFdSetTag, teventFdGetTag, teventFdGetStream, teventFdRead, teventFdWrite,
  TEVENT_FD_READABLE, TEVENT_FD_WRITEABLE, TEVENT_FD_NOT_READABLE, TEVENT_FD_NOT_WRITEABLE,
} from "./fd";
export {
  teventAddSignal, teventSignalSetTag, teventSignalGetTag, teventNumSignals,
  SA_SIGINFO, SA_RESTART, SA_RESETHAND,
} from "./signal";
export * from "./req";
export * from "./queue";
export * from "./wakeup";
export * from "./unix";
export * from "./debug";
import "./methods";
