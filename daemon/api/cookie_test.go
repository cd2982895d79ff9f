package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// sessionCookie returns the Set-Cookie of the session cookie in resp.
func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

// TestCookie_LoginSetsSessionCookie: login sets an HttpOnly, SameSite=Strict
// cookie at Path=/ that authenticates GETs; /auth/me names the user.
func TestCookie_LoginSetsSessionCookie(t *testing.T) {
	f := newFixture(t, Config{})
	resp, body := f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "drwang", "password": "drwangpass1"})
	ck := sessionCookie(t, resp)
	if resp.StatusCode != 200 || ck == nil {
		t.Fatalf("login: %d %s %v", resp.StatusCode, body, resp.Header["Set-Cookie"])
	}
	raw := strings.ToLower(resp.Header.Get("Set-Cookie"))
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Value == "" ||
		ck.Expires.Before(time.Now()) || !strings.Contains(raw, "samesite=strict") {
		t.Errorf("cookie %+v (%s)", ck, raw)
	}
	var me struct{ User, Role string }
	f.getJSON(t, "/api/v1/auth/me", "cookie-nocsrf:"+ck.Value, 200, &me)
	if me.User != "drwang" || me.Role != "radiologist" {
		t.Errorf("me = %+v", me)
	}
	f.getJSON(t, "/api/v1/auth/me", f.admin, 200, &me)
	if me.User != "root" || me.Role != "admin" {
		t.Errorf("me (bearer) = %+v", me)
	}
	f.getJSON(t, "/api/v1/studies", "cookie-nocsrf:"+ck.Value, 200, nil)
}

// TestCookie_CSRFRule: a cookie-authenticated request that is not GET or
// HEAD needs X-Lingshu-CSRF: 1 (403 otherwise); bearer requests do not.
func TestCookie_CSRFRule(t *testing.T) {
	f := newFixture(t, Config{Drafts: nil})
	study := "/api/v1/studies/" + f.ct.StudyInstanceUID + "/reports"
	edit := map[string]any{"text": "No acute findings."}
	for _, c := range []struct {
		name   string
		token  string
		hdr    string
		status int
	}{
		{"cookie without header", "cookie-nocsrf:" + f.rad, "", 403},
		{"cookie with wrong value", "cookie-nocsrf:" + f.rad, "yes", 403},
		{"cookie with header", "cookie:" + f.rad, "", 201},
		{"bearer without header", f.rad, "", 201},
	} {
		t.Run(c.name, func(t *testing.T) {
			var resp *http.Response
			var body []byte
			if c.hdr != "" {
				resp, body = f.doHeader(t, "POST", study, c.token, edit, CSRFHeader, c.hdr)
			} else {
				resp, body = f.do(t, "POST", study, c.token, edit)
			}
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c.status == 403 {
				if code, _ := apiErr(t, body); code != CodeCSRF {
					t.Errorf("code %s", code)
				}
			}
		})
	}
	// A bad cookie is a 401 and is cleared; GET with the cookie needs no header.
	resp, _ := f.do(t, "GET", "/api/v1/studies", "cookie-nocsrf:nope", nil)
	if ck := sessionCookie(t, resp); resp.StatusCode != 401 || ck == nil || ck.Value != "" {
		t.Errorf("bad cookie: %d %v", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	// Logout with the cookie (needs the header) ends the session and clears the cookie.
	if resp, _ := f.do(t, "POST", "/api/v1/auth/logout", "cookie-nocsrf:"+f.staff, nil); resp.StatusCode != 403 {
		t.Errorf("logout without CSRF header: %d", resp.StatusCode)
	}
	resp, _ = f.do(t, "POST", "/api/v1/auth/logout", "cookie:"+f.staff, nil)
	if ck := sessionCookie(t, resp); resp.StatusCode != 204 || ck == nil || ck.Value != "" || ck.Expires.After(time.Now()) {
		t.Errorf("logout: %d %v", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	f.getJSON(t, "/api/v1/auth/me", "cookie-nocsrf:"+f.staff, 401, nil)
	f.getJSON(t, "/api/v1/auth/me", f.staff, 401, nil) // the same session by bearer
}

// doHeader is do with one extra request header.
func (f *fixture) doHeader(t *testing.T, method, path, token string, body any, key, value string) (*http.Response, []byte) {
	t.Helper()
	f.extra = [2]string{key, value}
	defer func() { f.extra = [2]string{} }()
	return f.do(t, method, path, token, body)
}
