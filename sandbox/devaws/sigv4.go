package devaws

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
)

// identity is who signed a request.
type identity struct {
	arn, account, userID string
	secret, token        string
	expires              time.Time // zero for the long-term key
}

type authHeader struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

const maxSkew = 15 * time.Minute // what AWS tolerates

// authenticate recomputes the request's SigV4 signature with the secret of
// the key it names, exactly as AWS does, and returns who signed it.
func (s *Server) authenticate(r *http.Request, body []byte, p protocol) (identity, *wireError) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return identity{}, p.authError(authMissing, "request is not signed")
	}
	ah, ok := parseAuthHeader(authz)
	if !ok {
		return identity{}, p.authError(authBadSignature, "malformed Authorization header")
	}
	id, ok := s.lookup(ah.accessKey)
	if !ok {
		return identity{}, p.authError(authUnknownKey, "the security token included in the request is invalid")
	}
	if !id.expires.IsZero() && now().After(id.expires) {
		return identity{}, p.authError(authExpired, "the security token included in the request is expired")
	}
	if id.token != "" && r.Header.Get("X-Amz-Security-Token") != id.token {
		return identity{}, p.authError(authUnknownKey, "temporary credentials need their session token")
	}
	if ah.service != p.signingName {
		return identity{}, p.authError(authBadSignature, "credential scope names service "+ah.service+", expected "+p.signingName)
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || signedAt.Format("20060102") != ah.date {
		return identity{}, p.authError(authBadSignature, "X-Amz-Date missing or not matching the credential scope")
	}
	if d := now().Sub(signedAt); d > maxSkew || d < -maxSkew {
		return identity{}, p.authError(authBadSignature, "signature is more than 15 minutes away from the server's time")
	}
	for _, must := range []string{"host", "x-amz-date"} {
		if !slices.Contains(ah.signedHeaders, must) {
			return identity{}, p.authError(authBadSignature, must+" must be signed")
		}
	}
	if id.token != "" && !slices.Contains(ah.signedHeaders, "x-amz-security-token") {
		return identity{}, p.authError(authBadSignature, "x-amz-security-token must be signed")
	}

	// Rebuild the request from the signed headers only and sign it again.
	re, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return identity{}, p.authError(authBadSignature, "cannot rebuild the request")
	}
	re.Host = r.Host
	if slices.Contains(ah.signedHeaders, "content-length") {
		// The SDK signs it; the aws CLI does not.
		re.ContentLength = int64(len(body))
	}
	for _, h := range ah.signedHeaders {
		if h != "host" && h != "content-length" {
			re.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := sdkaws.Credentials{AccessKeyID: ah.accessKey, SecretAccessKey: id.secret, SessionToken: id.token}
	if err := s.signer.SignHTTP(r.Context(), creds, re, hex.EncodeToString(sum[:]), ah.service, ah.region, signedAt); err != nil {
		return identity{}, p.authError(authBadSignature, "cannot recompute the signature")
	}
	want, ok := parseAuthHeader(re.Header.Get("Authorization"))
	if !ok || !hmac.Equal([]byte(want.signature), []byte(ah.signature)) ||
		strings.Join(want.signedHeaders, ";") != strings.Join(ah.signedHeaders, ";") {
		return identity{}, p.authError(authBadSignature, "the request signature we calculated does not match the signature you provided")
	}
	return id, nil
}

// parseAuthHeader reads
// "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sts/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthHeader(v string) (authHeader, bool) {
	rest, ok := strings.CutPrefix(v, "AWS4-HMAC-SHA256 ")
	if !ok {
		return authHeader{}, false
	}
	var ah authHeader
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(val, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return authHeader{}, false
			}
			ah.accessKey, ah.date, ah.region, ah.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			ah.signedHeaders = strings.Split(val, ";")
		case "Signature":
			ah.signature = val
		}
	}
	ok = ah.accessKey != "" && ah.signature != "" && len(ah.signedHeaders) > 0
	return ah, ok
}

func (s *Server) lookup(accessKey string) (identity, bool) {
	if accessKey == AccessKeyID {
		return identity{arn: CallerARN, account: ManagementAccount, userID: "AIDAACCTFLOWFAKE0001", secret: SecretAccessKey}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sessions[accessKey]
	return id, ok
}
