// Package chromelogin signs in at a SimpleSAMLphp IdP with headless Chromium, as
// a person would: it opens a SAML login URL, fills the IdP's username/password
// form, lets the IdP's auto-POST form deliver the SAMLResponse to the service
// provider's Assertion Consumer Service (ACS), and reports what the ACS answered.
//
// It exists for tests: end-to-end tests hand its command (cmd/chromelogin) to
// `ptsaml login --browser-command`. It never prints the password or the
// SAMLResponse.
package chromelogin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// DefaultChromePath is Debian's Chromium.
const DefaultChromePath = "/usr/bin/chromium"

// ErrCredentialsRejected means the IdP showed its login form again with an error.
var ErrCredentialsRejected = errors.New("the IdP rejected the username or password")

// Options says who signs in and how the browser runs.
type Options struct {
	ChromePath string        // default DefaultChromePath
	User       string        // IdP username
	Password   string        // IdP password; never logged
	Timeout    time.Duration // whole sign-in, default 60s
	Log        io.Writer     // progress lines for people; nil = none
}

// Result is what the ACS answered.
type Result struct {
	ACSURL string // URL of the page the IdP posted to
	Status int    // its HTTP status
	Title  string // its <title>
	Text   string // the start of its visible text
}

// ACSError is returned when the ACS answered with an HTTP error status.
type ACSError struct{ Result *Result }

func (e *ACSError) Error() string {
	return fmt.Sprintf("acs %s answered HTTP %d: %s", e.Result.ACSURL, e.Result.Status, oneLine(e.Result.Text))
}

// chromeFlags keep Chromium off every network but loopback and let it run as root.
func chromeFlags() []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
	}
}

// Run signs in at loginURL (an IdP URL: an AuthnRequest redirect or an
// IdP-initiated SSO URL) and waits for the page of the ACS the IdP posts to.
// It returns an *ACSError when that page has an HTTP error status and
// ErrCredentialsRejected when the IdP refused the credentials.
func Run(ctx context.Context, loginURL string, o Options) (*Result, error) {
	start, err := url.Parse(loginURL)
	if err != nil || start.Host == "" {
		return nil, fmt.Errorf("login url: not an absolute URL: %q", loginURL)
	}
	if o.ChromePath == "" {
		o.ChromePath = DefaultChromePath
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	profile, err := os.MkdirTemp("", "chromelogin-profile-")
	if err != nil {
		return nil, fmt.Errorf("user data dir: %w", err)
	}
	defer os.RemoveAll(profile)

	opts := slices.Concat(chromedp.DefaultExecAllocatorOptions[:], chromeFlags(),
		[]chromedp.ExecAllocatorOption{chromedp.ExecPath(o.ChromePath), chromedp.UserDataDir(profile)})
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first Do starts the browser; it must not carry the time limit.
	if err := chromedp.Do(browserCtx); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.ChromePath, err)
	}
	// The login URL may be the SP's own start link that redirects to the
	// IdP: the IdP is the host the login form came from.
	idpHost := start.Host
	pages := watchDocuments(browserCtx)

	runCtx, cancel := context.WithTimeout(browserCtx, o.Timeout)
	defer cancel()
	fmt.Fprintf(o.Log, "chromelogin: opening the IdP at %s://%s%s\n", start.Scheme, start.Host, start.Path)
	if err := chromedp.Do(runCtx,
		chromedp.Navigate(loginURL),
		chromedp.WaitVisible(chromedp.ID("username")),
	); err != nil {
		return nil, fmt.Errorf("open the IdP login form: %w", err)
	}
	formURL, err := chromedp.Run(runCtx, chromedp.Location())
	if err != nil {
		return nil, fmt.Errorf("read the IdP login form's address: %w", err)
	}
	if err := chromedp.Do(runCtx,
		chromedp.SendKeys(chromedp.ID("username"), o.User),
		chromedp.SendKeys(chromedp.ID("password"), o.Password),
	); err != nil {
		return nil, fmt.Errorf("fill the IdP login form: %w", err)
	}
	if u, err := url.Parse(formURL); err == nil && u.Host != "" {
		idpHost = u.Host
	}
	fmt.Fprintf(o.Log, "chromelogin: submitting the login form as %q\n", o.User)
	if err := chromedp.Do(runCtx, chromedp.Submit(chromedp.ID("password"))); err != nil {
		return nil, fmt.Errorf("submit the IdP login form: %w", err)
	}
	return waitACS(runCtx, pages, idpHost, o.Log)
}

// page is a top-level document the browser received.
type page struct {
	resp *network.Response
	host string
}

// watchDocuments reports every document response with its host.
func watchDocuments(ctx context.Context) <-chan page {
	events := chromedp.Events(ctx, network.ResponseReceived)
	out := make(chan page, 16)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			if ev.Type != network.ResourceTypeDocument || ev.Response == nil {
				continue
			}
			u, err := url.Parse(ev.Response.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				continue
			}
			select {
			case out <- page{resp: ev.Response, host: u.Host}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
