#pragma once
// Process signals. Call BlockTerminationSignals() first thing in main (before
// any thread starts) so SIGTERM/SIGINT are delivered only to
// WaitForTerminationSignal(); SIGPIPE is ignored for the whole process.

namespace orders::platform {

void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace orders::platform
