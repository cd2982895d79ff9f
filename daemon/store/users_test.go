package store

import (
	"errors"
	"testing"
	"time"
)

func TestUsers_CreateAuthenticateSessions(t *testing.T) {
	clk := newClock()
	opts := testOptions(clk)
	opts.SessionTTL = time.Hour
	dir := t.TempDir()
	s := openTest(t, dir, opts)
	if _, err := s.CreateUser("alice", "s3cret", RoleRadiologist); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("alice", "x", RoleStaff); !errors.Is(err, ErrUserExists) {
		t.Errorf("duplicate user: %v", err)
	}
	for _, bad := range [][3]string{{"", "p", RoleStaff}, {"bob", "p", "root"}, {"bob", "", RoleStaff}, {"a b", "p", RoleStaff}} {
		if _, err := s.CreateUser(bad[0], bad[1], bad[2]); !errors.Is(err, ErrInvalidUser) {
			t.Errorf("CreateUser%q: %v", bad, err)
		}
	}
	if _, err := s.Authenticate("alice", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.Authenticate("mallory", "s3cret"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	sess, err := s.Authenticate("alice", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if len(sess.Token) != 43 || sess.Role != RoleRadiologist || !sess.Expires.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("session = %+v", sess)
	}
	got, err := s.LookupSession(sess.Token)
	if err != nil || got.User != "alice" || got.Token != "" {
		t.Errorf("LookupSession = %+v, %v", got, err)
	}
	if _, err := s.LookupSession(sess.Token + "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad token: %v", err)
	}
	// Only the hash is at rest.
	s.Close()
	s = openTest(t, dir, opts)
	if _, err := s.LookupSession(sess.Token); err != nil {
		t.Errorf("session lost across restart: %v", err)
	}
	if err := s.Logout(sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupSession(sess.Token); !errors.Is(err, ErrNotFound) {
		t.Errorf("after logout: %v", err)
	}
	sess2, _ := s.Authenticate("alice", "s3cret")
	clk.Advance(time.Hour)
	if _, err := s.LookupSession(sess2.Token); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	users, err := s.Users()
	if err != nil || len(users) != 1 || users[0].Name != "alice" {
		t.Errorf("Users = %+v, %v", users, err)
	}
}

func TestUsers_EnsureAdmin(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	pw, created, err := s.EnsureAdmin("")
	if err != nil || !created || len(pw) < 16 {
		t.Fatalf("EnsureAdmin = %q, %v, %v", pw, created, err)
	}
	if sess, err := s.Authenticate(AdminUser, pw); err != nil || sess.Role != RoleAdmin {
		t.Errorf("generated admin password does not log in: %+v, %v", sess, err)
	}
	pw2, created, err := s.EnsureAdmin("other")
	if err != nil || created || pw2 != "" {
		t.Errorf("second EnsureAdmin = %q, %v, %v", pw2, created, err)
	}

	s2 := openTest(t, t.TempDir(), testOptions(newClock()))
	pw, created, err = s2.EnsureAdmin("given-password")
	if err != nil || !created || pw != "" {
		t.Fatalf("EnsureAdmin(given) = %q, %v, %v", pw, created, err)
	}
	if _, err := s2.Authenticate(AdminUser, "given-password"); err != nil {
		t.Error(err)
	}
}

func TestAudit_AppendAndQuery(t *testing.T) {
	clk := newClock()
	s := openTest(t, t.TempDir(), testOptions(clk))
	for i := 0; i < 7; i++ {
		user := "alice"
		if i%2 == 1 {
			user = "bob"
		}
		if err := s.Audit(AuditRecord{User: user, Action: "study.read", StudyUID: "1.2." + itoa(i), RemoteAddr: "10.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	all, next, err := s.QueryAudit(AuditFilter{}, 0, "")
	if err != nil || len(all) != 7 || next != "" || all[0].Seq != 7 || all[6].Seq != 1 || all[0].StudyUID != "1.2.6" {
		t.Fatalf("QueryAudit = %+v, %q, %v", all, next, err)
	}
	var seqs []uint64
	cursor := ""
	for {
		page, next, err := s.QueryAudit(AuditFilter{User: "alice"}, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seqs = append(seqs, r.Seq)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seqs) != 4 || seqs[0] != 7 || seqs[3] != 1 {
		t.Errorf("alice pages = %v", seqs)
	}
	from := clk.Now().Add(-3 * time.Minute)
	if r, _, _ := s.QueryAudit(AuditFilter{From: from}, 0, ""); len(r) != 3 {
		t.Errorf("time filter gave %d", len(r))
	}
	if _, _, err := s.QueryAudit(AuditFilter{}, 0, "bad"); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestUsers_UpdateKeepsOneAdmin(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	for _, n := range []string{"a1", "a2"} {
		if _, err := s.CreateUser(n, "pw-"+n, RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	yes, staff := true, RoleStaff
	if u, err := s.UpdateUser("a1", UserUpdate{Disabled: &yes}); err != nil || !u.Disabled {
		t.Fatalf("disable one of two admins: %+v, %v", u, err)
	}
	if _, err := s.UpdateUser("a2", UserUpdate{Role: &staff}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demote the last enabled admin: %v", err)
	}
	if _, err := s.UpdateUser("a2", UserUpdate{Disabled: &yes}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("disable the last enabled admin: %v", err)
	}
	if _, err := s.Authenticate("a1", "pw-a1"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("disabled admin logs in: %v", err)
	}
	if _, err := s.UpdateUser("ghost", UserUpdate{Role: &staff}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}
