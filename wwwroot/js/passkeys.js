// Passkeys: "Sign in with a passkey" (link and sign-in pages) and "Create a passkey" (security page).
// The server keeps every challenge; this script only carries the options to the browser's WebAuthn API
// and the answer back, with the page's antiforgery token. Without it (or without WebAuthn) the passcode
// remains the way in: the sign-in offer stays hidden.
(function () {
    'use strict';

    function supported() {
        return !!(window.PublicKeyCredential && navigator.credentials
            && typeof window.PublicKeyCredential.parseRequestOptionsFromJSON === 'function'
            && typeof window.PublicKeyCredential.parseCreationOptionsFromJSON === 'function');
    }

    function antiforgeryToken(root) {
        var input = root.querySelector('input[name="__RequestVerificationToken"]');
        return input ? input.value : '';
    }

    function post(url, root, body) {
        return fetch(url, {
            method: 'POST',
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'RequestVerificationToken': antiforgeryToken(root) },
            body: JSON.stringify(body || {})
        }).then(function (response) {
            if (!response.ok) {
                throw new Error('The portal answered ' + response.status);
            }
            return response;
        });
    }

    // The portal only ever answers a path on this site; should anything else arrive ("//host", "/\host",
    // a TAB or newline that browsers drop, another scheme), the inbox is the way on, never the other site.
    function localTarget(url) {
        return typeof url === 'string' && /^\/(?![\/\\])[^\u0000-\u001f\u007f]*$/.test(url) ? url : '/inbox';
    }

    function show(status, text, isError) {
        status.textContent = text || '';
        status.classList.toggle('is-error', !!isError);
    }

    function ceremony(button, status, root, run) {
        var busy = false;
        button.addEventListener('click', function () {
            if (busy) {
                return;
            }
            busy = true;
            button.disabled = true;
            show(status, root.getAttribute('data-working'), false);
            run().catch(function () {
                busy = false;
                button.disabled = false;
                show(status, root.getAttribute('data-failed'), true);
            });
        });
    }

    function initSignIn() {
        var root = document.getElementById('passkey-signin');
        if (!root || !supported()) {
            return;
        }
        var button = document.getElementById('passkey-signin-button');
        var status = document.getElementById('passkey-signin-status');
        root.hidden = false;
        ceremony(button, status, root, function () {
            return post(root.getAttribute('data-options-url'), root)
                .then(function (response) { return response.json(); })
                .then(function (options) {
                    return navigator.credentials.get({ publicKey: window.PublicKeyCredential.parseRequestOptionsFromJSON(options) });
                })
                .then(function (credential) {
                    if (!credential) {
                        throw new Error('No passkey was chosen.');
                    }
                    return post(root.getAttribute('data-url'), root, {
                        returnUrl: root.getAttribute('data-return-url') || null,
                        credential: credential.toJSON()
                    });
                })
                .then(function (response) { return response.json(); })
                .then(function (answer) { window.location.assign(localTarget(answer.redirect)); });
        });
    }

    function initCreate() {
        var root = document.getElementById('passkey-create');
        if (!root) {
            return;
        }
        var button = document.getElementById('passkey-create-button');
        var status = document.getElementById('passkey-create-status');
        var name = document.getElementById('passkey-name');
        if (!supported()) {
            button.disabled = true;
            show(status, root.getAttribute('data-unsupported'), true);
            return;
        }
        ceremony(button, status, root, function () {
            return post(root.getAttribute('data-options-url'), root)
                .then(function (response) { return response.json(); })
                .then(function (options) {
                    return navigator.credentials.create({ publicKey: window.PublicKeyCredential.parseCreationOptionsFromJSON(options) });
                })
                .then(function (credential) {
                    if (!credential) {
                        throw new Error('No passkey was created.');
                    }
                    return post(root.getAttribute('data-url'), root, { name: name ? name.value : null, credential: credential.toJSON() });
                })
                .then(function () { window.location.assign(root.getAttribute('data-done')); });
        });
    }

    function init() {
        initSignIn();
        initCreate();
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', init);
    } else {
        init();
    }
}());
