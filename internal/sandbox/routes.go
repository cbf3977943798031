package sandbox

import (
	"net"
	"net/http"
)

const (
	stsPath   = "/sts/"
	statsPath = "/stats"
)

// routes wires the sandbox endpoints behind a Host check.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+metadataPath, s.serveMetadata)
	mux.HandleFunc(ssoPath, s.idp.ServeSSO)
	mux.HandleFunc("POST /sts", s.sts.ServeHTTP)
	mux.HandleFunc("POST "+stsPath, s.sts.ServeHTTP)
	mux.HandleFunc("POST /{$}", s.sts.ServeHTTP) // clients whose endpoint is the bare URL
	mux.HandleFunc("GET "+statsPath, s.serveStats)
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		renderPage(w, s.log, http.StatusNotFound, "error", "Nothing here: "+r.Method+" "+r.URL.Path)
	})
	return s.checkHost(mux)
}

// checkHost refuses requests whose Host is not this listener's address (or
// localhost on its port), against DNS rebinding from web pages.
func (s *Server) checkHost(next http.Handler) http.Handler {
	hostPort := s.url[len("http://"):]
	_, port, _ := net.SplitHostPort(hostPort)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != hostPort && r.Host != "localhost:"+port {
			http.Error(w, Banner+": unexpected Host header", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type indexPage struct {
	Users                                           []user
	MetadataURL, STSEndpoint, StatsURL, ProviderARN string
}

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	page := indexPage{
		MetadataURL: s.MetadataURL(), STSEndpoint: s.STSEndpoint(),
		StatsURL: s.url + statsPath, ProviderARN: ProviderARN,
	}
	for _, n := range userNames() {
		page.Users = append(page.Users, users[n])
	}
	renderPage(w, s.log, http.StatusOK, "index", page)
}
