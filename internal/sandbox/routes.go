package sandbox

import (
	"net"
	"net/http"
	"strings"
)

const (
	stsPath   = "/sts/"
	statsPath = "/stats"
	// S3RequestsPath serves the S3 request records (JSON).
	S3RequestsPath = statsPath + "/s3-requests"
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
	mux.HandleFunc("GET "+S3RequestsPath, s.s3.serveRecords)
	s.oidc.register(mux)
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		renderPage(w, s.log, http.StatusNotFound, "error", "Nothing here: "+r.Method+" "+r.URL.Path)
	})
	return s.checkHost(s.withS3(mux))
}

// withS3 sends /s3 and everything below it to the S3 service before the
// ServeMux, which would redirect keys holding "//" or ".." segments.
func (s *Server) withS3(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == s3Prefix || strings.HasPrefix(r.URL.Path, s3Prefix+"/") {
			s.s3.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
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
	S3Endpoint, S3RequestsURL, DataBucket           string
}

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	page := indexPage{
		MetadataURL: s.MetadataURL(), STSEndpoint: s.STSEndpoint(),
		StatsURL: s.url + statsPath, ProviderARN: ProviderARN,
		S3Endpoint: s.S3Endpoint(), S3RequestsURL: s.url + S3RequestsPath, DataBucket: DataBucket,
	}
	for _, n := range userNames() {
		page.Users = append(page.Users, users[n])
	}
	renderPage(w, s.log, http.StatusOK, "index", page)
}
