package chromelogin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// pollEvery is how often the page is inspected while waiting for the ACS.
const pollEvery = 200 * time.Millisecond

// loginError reads the IdP's error message when its login form is shown again
// (SimpleSAMLphp's old templates mark it with an .erroricon image, the Twig
// ones with a .message-box.error block).
const loginError = `(() => {
  if (!document.getElementById('username')) return '';
  const icon = document.querySelector('.erroricon');
  const m = document.querySelector('.message-box.error') || (icon && icon.parentElement);
  return m ? (m.innerText || 'login error') : '';
})()`

// waitACS waits for the first document that does not come from the IdP (the
// ACS the IdP posted to), or for a sign that the IdP refused the login.
func waitACS(ctx context.Context, pages <-chan page, idpHost string, log io.Writer) (*Result, error) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case p := <-pages:
			if p.host == idpHost {
				if p.resp.Status >= 400 {
					return nil, fmt.Errorf("idp answered HTTP %d at %s", p.resp.Status, p.resp.URL)
				}
				continue
			}
			return readACS(ctx, p, log)
		case <-tick.C:
			msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](loginError))
			if err == nil && strings.TrimSpace(msg) != "" {
				return nil, fmt.Errorf("%w: %s", ErrCredentialsRejected, oneLine(msg))
			}
		case <-ctx.Done():
			title, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Title())
			return nil, fmt.Errorf("wait for the ACS page (last page %q): %w", title, ctx.Err())
		}
	}
}

// readACS waits until the ACS page is the current document and reads it.
func readACS(ctx context.Context, p page, log io.Writer) (*Result, error) {
	want, err := json.Marshal(p.resp.URL)
	if err != nil {
		return nil, fmt.Errorf("acs url: %w", err)
	}
	loaded := fmt.Sprintf(`location.href === %s && document.readyState === 'complete'`, want)
	tick := time.NewTicker(pollEvery / 4)
	defer tick.Stop()
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](loaded))
		if err == nil && ok {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the ACS page %s to load: %w", p.resp.URL, ctx.Err())
		}
	}
	r := &Result{ACSURL: p.resp.URL, Status: int(p.resp.Status)}
	r.Title, _ = chromedp.Run(ctx, chromedp.Title())
	r.Text, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 500) : ''`))
	fmt.Fprintf(log, "chromelogin: the ACS %s answered HTTP %d: %s\n", r.ACSURL, r.Status, oneLine(r.Title+" "+r.Text))
	if r.Status >= 400 {
		return r, &ACSError{Result: r}
	}
	return r, nil
}

// oneLine squeezes page text into one short line for messages.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
