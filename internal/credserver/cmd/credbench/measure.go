package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptsaml/ptsaml/internal/credserver"
)

type result struct {
	requests      int
	p50, p99, max time.Duration
	perSecond     float64
}

// measure sends n requests from conc workers and times each one. Each
// worker warms up its connection first when keep is set.
func measure(ctx context.Context, s *credserver.Server, conc, n int, keep bool) (result, error) {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conc, DisableKeepAlives: !keep}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", s.Token())
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}

	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	errs := make([]error, conc)
	var ready, wg sync.WaitGroup
	startGun := make(chan struct{})
	ready.Add(conc)
	for w := range conc {
		wg.Go(func() {
			if keep {
				errs[w] = get()
			}
			ready.Done()
			<-startGun
			for errs[w] == nil && next.Add(1) <= int64(n) {
				t := time.Now()
				errs[w] = get()
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	ready.Wait()
	began := time.Now()
	close(startGun)
	wg.Wait()
	elapsed := time.Since(began)
	for _, err := range errs {
		if err != nil {
			return result{}, fmt.Errorf("benchmark at concurrency %d: %w", conc, err)
		}
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return result{
		requests:  len(all),
		p50:       all[len(all)*50/100],
		p99:       all[len(all)*99/100],
		max:       all[len(all)-1],
		perSecond: float64(len(all)) / elapsed.Seconds(),
	}, nil
}
