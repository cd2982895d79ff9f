// login.js — the sign-in form. Shows no patient data.

import * as api from './api.js';
import { h } from './util.js';

export function mount(main, { message, onLogin }) {
  const err = h('p', { class: 'form-error', id: 'login-error', role: 'alert' }, '');
  const note = message ? h('p', { class: 'form-note', role: 'status' }, message) : null;
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const pass = h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const btn = h('button', { type: 'submit', class: 'btn primary wide', id: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'login-card', 'aria-labelledby': 'login-title', novalidate: true },
    h('div', { class: 'login-brand' }, 'Lingshu ', h('span', {}, 'Edge')),
    h('h1', { id: 'login-title' }, 'Sign in'),
    h('p', { class: 'login-sub' }, 'Radiology AI appliance — authorised staff only'),
    note,
    h('label', { for: 'login-user' }, 'User name'), user,
    h('label', { for: 'login-pass' }, 'Password'), pass,
    err, btn,
    h('p', { class: 'login-foot' }, 'AI output is a draft for a radiologist to verify. Every access is logged.'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    if (!user.value || !pass.value) { err.textContent = 'Enter your user name and password.'; (user.value ? pass : user).focus(); return; }
    btn.disabled = true;
    btn.textContent = 'Signing in…';
    try {
      const s = await api.login(user.value.trim(), pass.value);
      pass.value = '';
      onLogin(s);
    } catch (e2) {
      err.textContent = e2.message;
      btn.disabled = false;
      btn.textContent = 'Sign in';
      pass.select();
      pass.focus();
    }
  });
  main.append(h('div', { class: 'login-wrap' }, form));
  user.focus();
  return () => {};
}
