package cli

import (
	"context"
	"os"
)

// relaySignals cancels the running command on the first signal, unless a
// job command has claimed the signals: then each one goes to the job.
func (f *Factory) relaySignals(ctx context.Context, cancel context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-f.Signals:
			if f.jobClaimed.Load() {
				select {
				case f.jobSignals <- s:
				default: // the job is already being told
				}
				continue
			}
			cancel()
			return
		}
	}
}

// claimSignals makes the signals the job's from now on.
func (f *Factory) claimSignals() <-chan os.Signal {
	f.jobClaimed.Store(true)
	return f.jobSignals
}
