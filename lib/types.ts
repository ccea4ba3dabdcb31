// Small types shared by tevent and tsocket.

/** struct timeval */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}
