package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Roles.
const (
	RoleAdmin       = "admin"
	RoleRadiologist = "radiologist"
	RoleStaff       = "staff"
)

// AdminUser is the name of the account EnsureAdmin creates.
const AdminUser = "admin"

// User is an account (without its password hash).
type User struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
	// Disabled accounts cannot log in and their sessions stop working;
	// the account and its audit trail stay.
	Disabled bool `json:"disabled,omitempty"`
}

type userRecord struct {
	User
	Hash []byte `json:"hash"`
}

// Session is a logged-in user. Token is set only in the value returned by
// Authenticate: the store keeps only its SHA-256.
type Session struct {
	Token   string    `json:"-"`
	User    string    `json:"user"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleRadiologist || r == RoleStaff }

func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' || r == '@') {
			return false
		}
	}
	return true
}

// CreateUser adds an account. Errors: ErrInvalidUser, ErrUserExists.
func (s *Store) CreateUser(name, password, role string) (User, error) {
	if !validName(name) || !ValidRole(role) || password == "" || len(password) > 72 {
		return User{}, fmt.Errorf("store: create user %q: %w (name: letters, digits . _ - @; role: admin|radiologist|staff; password: 1..72 bytes)", name, ErrInvalidUser)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("store: create user %q: %w", name, err)
	}
	u := userRecord{User: User{Name: name, Role: role, Created: s.now().UTC()}, Hash: hash}
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		if b.Get([]byte(name)) != nil {
			return ErrUserExists
		}
		return putJSON(b, name, u)
	})
	if err != nil {
		return User{}, fmt.Errorf("store: create user %q: %w", name, err)
	}
	s.log.Info("user created", "user", name, "role", role)
	return u.User, nil
}

// Users lists the accounts by name.
func (s *Store) Users() ([]User, error) {
	out := []User{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bUsers).ForEach(func(k, v []byte) error {
			var u userRecord
			if _, err := getJSON(tx.Bucket(bUsers), string(k), &u); err != nil {
				return err
			}
			out = append(out, u.User)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// EnsureAdmin creates the first account, AdminUser with role admin, when no
// account exists. An empty password generates a random one, returned so the
// caller can show it once; otherwise generated is "". created is false when
// accounts already existed (nothing changes then).
func (s *Store) EnsureAdmin(password string) (generated string, created bool, err error) {
	var n int
	if err := s.view(func(tx *bolt.Tx) error { n = tx.Bucket(bUsers).Stats().KeyN; return nil }); err != nil {
		return "", false, fmt.Errorf("store: ensure admin: %w", err)
	}
	if n > 0 {
		return "", false, nil
	}
	if password == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return "", false, fmt.Errorf("store: ensure admin: %w", err)
		}
		password = base64.RawURLEncoding.EncodeToString(b)
		generated = password
	}
	if _, err := s.CreateUser(AdminUser, password, RoleAdmin); err != nil {
		if errors.Is(err, ErrUserExists) {
			return "", false, nil
		}
		return "", false, err
	}
	return generated, true, nil
}

// Authenticate checks a password and opens a session. Unknown users cost
// the same bcrypt comparison as known ones; both fail with
// ErrBadCredentials.
func (s *Store) Authenticate(name, password string) (Session, error) {
	var u userRecord
	found := false
	err := s.view(func(tx *bolt.Tx) error {
		missing, err := getJSON(tx.Bucket(bUsers), name, &u)
		found = !missing
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: authenticate: %w", err)
	}
	hash := s.dummy
	if found {
		hash = u.Hash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !found || u.Disabled {
		return Session{}, ErrBadCredentials
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Session{}, fmt.Errorf("store: authenticate: %w", err)
	}
	now := s.now().UTC()
	sess := Session{
		Token:   base64.RawURLEncoding.EncodeToString(raw),
		User:    u.Name,
		Role:    u.Role,
		Created: now,
		Expires: now.Add(s.opts.SessionTTL),
	}
	err = s.update(func(tx *bolt.Tx) error {
		pruneSessions(tx, now)
		return putJSON(tx.Bucket(bSessions), string(tokenKey(sess.Token)), sess)
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: authenticate: %w", err)
	}
	return sess, nil
}

// LookupSession returns the live session of a token with the account's
// current role; unknown or expired tokens, and tokens of deleted or
// disabled users, give ErrNotFound.
func (s *Store) LookupSession(token string) (Session, error) {
	var sess Session
	err := s.view(func(tx *bolt.Tx) error {
		if err := getOne(tx, bSessions, string(tokenKey(token)), &sess); err != nil {
			return err
		}
		var u userRecord
		if missing, err := getJSON(tx.Bucket(bUsers), sess.User, &u); err != nil || missing || u.Disabled {
			return errors.Join(err, ErrNotFound)
		}
		sess.Role = u.Role // a role change applies at once, not at the next login
		return nil
	})
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	if !s.now().Before(sess.Expires) {
		return Session{}, fmt.Errorf("store: session: expired: %w", ErrNotFound)
	}
	return sess, nil
}

// Logout ends the session of token. Unknown tokens are not an error.
func (s *Store) Logout(token string) error {
	err := s.update(func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete(tokenKey(token)) })
	if err != nil {
		return fmt.Errorf("store: logout: %w", err)
	}
	return nil
}

func tokenKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// pruneSessions deletes expired sessions (at most a bounded number per
// call, so a login never does unbounded work).
func pruneSessions(tx *bolt.Tx, now time.Time) {
	b := tx.Bucket(bSessions)
	var dead [][]byte
	b.ForEach(func(k, v []byte) error {
		var sess Session
		if _, err := getJSON(b, string(k), &sess); err != nil || !now.Before(sess.Expires) {
			dead = append(dead, append([]byte(nil), k...))
		}
		if len(dead) >= 1000 {
			return errStop
		}
		return nil
	})
	for _, k := range dead {
		b.Delete(k)
	}
}

var errStop = errors.New("stop")

// UserUpdate changes an account; nil fields stay as they are.
type UserUpdate struct {
	Role     *string `json:"role,omitempty"`
	Password *string `json:"password,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// UpdateUser changes name's role, password or disabled flag. The last
// enabled admin cannot be disabled or demoted (ErrLastAdmin), so the
// appliance always keeps someone who can manage it. Errors: ErrNotFound,
// ErrInvalidUser, ErrLastAdmin.
func (s *Store) UpdateUser(name string, upd UserUpdate) (User, error) {
	if upd.Role != nil && !ValidRole(*upd.Role) {
		return User{}, fmt.Errorf("store: update user %q: %w (role: admin|radiologist|staff)", name, ErrInvalidUser)
	}
	var hash []byte
	if upd.Password != nil {
		if *upd.Password == "" || len(*upd.Password) > 72 {
			return User{}, fmt.Errorf("store: update user %q: %w (password: 1..72 bytes)", name, ErrInvalidUser)
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*upd.Password), s.opts.BcryptCost); err != nil {
			return User{}, fmt.Errorf("store: update user %q: %w", name, err)
		}
	}
	var out userRecord
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bUsers)
		if missing, err := getJSON(b, name, &out); err != nil || missing {
			return errors.Join(err, ErrNotFound)
		}
		wasAdmin := out.Role == RoleAdmin && !out.Disabled
		if upd.Role != nil {
			out.Role = *upd.Role
		}
		if upd.Disabled != nil {
			out.Disabled = *upd.Disabled
		}
		if hash != nil {
			out.Hash = hash
		}
		if wasAdmin && (out.Role != RoleAdmin || out.Disabled) {
			admins := 0
			err := b.ForEach(func(k, v []byte) error {
				var u userRecord
				if _, err := getJSON(b, string(k), &u); err != nil {
					return err
				}
				if u.Role == RoleAdmin && !u.Disabled {
					admins++
				}
				return nil
			})
			if err != nil {
				return err
			}
			if admins <= 1 {
				return ErrLastAdmin
			}
		}
		return putJSON(b, name, out)
	})
	if err != nil {
		return User{}, fmt.Errorf("store: update user %q: %w", name, err)
	}
	s.log.Info("user updated", "user", name, "role", out.Role, "disabled", out.Disabled, "password_changed", hash != nil)
	return out.User, nil
}
