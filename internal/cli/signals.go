package cli

import (
	"context"
	"os"
)

// relaySignals cancels the running command on the first signal, unless a
// job command has claimed the signals: then each one goes to the job. A
// second signal to a command that is still winding down (a keyring call, a
// lock) ends the process at once through Abort.
func (f *Factory) relaySignals(done <-chan struct{}, cancel context.CancelFunc) {
	cancelled := false
	for {
		select {
		case <-done:
			return
		case s := <-f.Signals:
			switch {
			case f.jobClaimed.Load():
				select {
				case f.jobSignals <- s:
				default: // the job is already being told
				}
			case !cancelled:
				cancelled = true
				cancel()
			case f.Abort != nil:
				f.Abort(ExitCancelled)
			}
		}
	}
}

// claimSignals makes the signals the job's from now on.
func (f *Factory) claimSignals() <-chan os.Signal {
	f.jobClaimed.Store(true)
	return f.jobSignals
}
