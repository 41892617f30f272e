package api

import (
	"net/http"
	"time"
)

// Timeouts bound how long one connection may hold the API. Without them a client that
// announces a large body and sends a byte every few seconds keeps its connection, and a
// goroutine, for as long as it likes.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers.
	ReadHeader time.Duration
	// Read bounds reading the whole request, headers and body, however slowly it trickles in.
	// It does not bound the handler: net/http lifts the read deadline once the body has been
	// read to its end (or at once when there is none), so a handler may run longer than Read
	// without its request's context being cancelled.
	Read time.Duration
	// Write bounds the time from the end of the headers to the end of the answer, handler
	// included: it must exceed the longest handler, a test send that waits up to 60 s for the
	// receiver.
	Write time.Duration
	// Idle bounds how long a kept-alive connection may wait for its next request.
	Idle time.Duration
}

// DefaultTimeouts are the API's timeouts where Server.Timeouts leaves one zero.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 90 * time.Second, Idle: 60 * time.Second}

// timeouts are s.Timeouts with DefaultTimeouts for the zero fields.
func (s *Server) timeouts() Timeouts {
	t := s.Timeouts
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&t.ReadHeader, DefaultTimeouts.ReadHeader}, {&t.Read, DefaultTimeouts.Read},
		{&t.Write, DefaultTimeouts.Write}, {&t.Idle, DefaultTimeouts.Idle},
	} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	return t
}

// HTTPServer is the http.Server to serve the API with: its Handler and its timeouts. A slow
// client cannot outlast them: headers and body must arrive within Read, the answer be written
// within Write, and an idle connection is closed after Idle.
func (s *Server) HTTPServer() *http.Server {
	t := s.timeouts()
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle}
}
