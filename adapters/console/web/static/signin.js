// The sign-in page: email and password for a token kept in this tab, and
// the register form when the server allows signup.
import { api, session } from './api.js';
import { byId, hide, param, show, showError } from './dom.js';

const home = '/console/assets';

async function main() {
  if (session.token()) {
    location.replace(home);
    return;
  }
  if (param('expired')) {
    const n = byId('notice');
    n.textContent = 'Your session ended: sign in again.';
    show(n);
  }
  byId('signin').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = byId('signin-error');
    hide(err);
    try {
      const res = await api('POST', '/auth/login', { email: byId('email').value, password: byId('password').value });
      session.signIn(res.token);
      location.assign(home);
    } catch (e) {
      showError(err, e);
    }
  });
  byId('register').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = byId('register-error');
    hide(err);
    try {
      const res = await api('POST', '/auth/register', {
        email: byId('register-email').value,
        password: byId('register-password').value,
        tenant_name: byId('register-tenant').value,
      });
      session.signIn(res.token);
      session.setTenant(res.tenant.slug);
      location.assign(home);
    } catch (e) {
      showError(err, e);
    }
  });
  // An empty registration is refused with 403 when signup is off and with
  // 400 when it is on; it creates nothing either way.
  let open = true;
  try {
    await api('POST', '/auth/register', {});
  } catch (e) {
    open = e.status !== 403;
  }
  byId('register-section').hidden = !open;
  document.body.dataset.signup = open ? 'on' : 'off';
}

main();
