/**
 * @module http/coalesce
 * Answers that are ready during one turn of the event loop go out together at its end.
 *
 * Under concurrent load Bun hands the server a batch of ready requests per turn. Sending each
 * answer as soon as its handler returns spreads the sends out, one per handler's run time
 * (~35 µs for a custom endpoint call), and a client that has read the previous answer and gone
 * back to sleep is woken again for nearly every one. Waking a sleeping thread is the costliest
 * part of a send, more so on a virtual machine (an interrupt to the other CPU). Held until the
 * turn's handlers have run, the batch's answers leave back to back, a woken client finds the
 * rest already there, and both sides spend less per request. On the 2-vCPU bench machine: the
 * echo endpoint +27% calls per second (median of eight alternated pairs), the reject and create
 * scenarios likewise; the bare `Bun.serve` echo, whose handler is too short to spread anything
 * out, neither gains nor loses (docs/performance.md, thirteenth round).
 *
 * The hold is one `setImmediate` per turn, shared by every answer of the turn. An answer waits at
 * most for the rest of its turn (the handlers Bun runs after it in the same batch, which would
 * have kept the thread busy anyway), never for an answer still pending on I/O.
 */

type Release = () => void;

let held: Release[] = [];

function releaseAll() {
  const batch = held;
  held = [];
  for (const release of batch) release();
}

/** Resolves with `response` at the end of the current turn of the event loop. */
function hold(response: Response): Promise<Response> {
  return new Promise((resolve) => {
    if (held.length === 0) setImmediate(releaseAll);
    held.push(() => resolve(response));
  });
}

/**
 * `response`, handed to the server at the end of the turn in which it is ready. A rejected
 * promise is passed on as it is: the server's own error handling answers it at once.
 */
export function coalesced(response: Response | Promise<Response>): Promise<Response> {
  return response instanceof Response ? hold(response) : response.then(hold);
}
