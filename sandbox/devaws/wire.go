package devaws

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// wireError is one service error, rendered by the protocol of the request.
type wireError struct {
	status     int
	code       string
	message    string
	extra      map[string]string // modelled members, e.g. Reason
	retryAfter time.Duration
}

type authProblem int

const (
	authMissing authProblem = iota
	authUnknownKey
	authBadSignature
	authExpired
)

// protocol is what differs between Organizations (JSON 1.1) and STS (query).
type protocol struct {
	json        bool
	signingName string
	unknownOp   string
	authCodes   [4]string // by authProblem
}

var (
	orgs = protocol{
		json: true, signingName: "organizations", unknownOp: "UnknownOperationException",
		authCodes: [4]string{"MissingAuthenticationTokenException", "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"},
	}
	sts = protocol{
		signingName: "sts", unknownOp: "InvalidAction",
		authCodes: [4]string{"MissingAuthenticationToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"},
	}
)

func (p protocol) authError(kind authProblem, msg string) *wireError {
	return &wireError{status: http.StatusForbidden, code: p.authCodes[kind], message: msg}
}

func (p protocol) writeError(w http.ResponseWriter, e *wireError) {
	w.Header().Set("X-Amzn-Requestid", randHex(16))
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	if p.json {
		body := map[string]string{"__type": e.code, "Message": e.message}
		for k, v := range e.extra {
			body[k] = v
		}
		writeJSON(w, e.status, body)
		return
	}
	kind := "Sender"
	if e.status >= 500 {
		kind = "Receiver"
	}
	writeXML(w, e.status, stsErrorResponse{
		Error:     stsError{Type: kind, Code: e.code, Message: e.message},
		RequestID: randHex(16),
	})
}

type stsErrorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     stsError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type stsError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "devaws: encoding JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "devaws: encoding XML: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}
