// Compose page: sends the form with XMLHttpRequest so that a progress bar can show the upload.
// Without JavaScript the same form is an ordinary multipart POST; the server checks everything either way.
(function () {
    'use strict';

    function format(template, value) {
        return (template || '').replace('{0}', String(value));
    }

    function focusErrorSummary() {
        var summary = document.getElementById('error-summary');
        if (summary) {
            summary.focus();
        }
    }

    function showClientError(form, message) {
        var target = document.getElementById('Attachments-error');
        var input = document.getElementById('Attachments');
        if (target) {
            target.textContent = message;
        }
        if (input) {
            input.setAttribute('aria-invalid', 'true');
            var described = (input.getAttribute('aria-describedby') || '').split(' ');
            if (described.indexOf('Attachments-error') < 0) {
                described.push('Attachments-error');
                input.setAttribute('aria-describedby', described.join(' ').trim());
            }
            input.focus();
        }
    }

    // Checks the limits the server enforces, so that nobody waits for an upload that will be refused.
    function filesFit(form) {
        var input = document.getElementById('Attachments');
        if (!input || !input.files) {
            return true;
        }
        var maxFiles = parseInt(form.getAttribute('data-max-files'), 10);
        var maxBytes = parseInt(form.getAttribute('data-max-bytes'), 10);
        var total = 0;
        for (var i = 0; i < input.files.length; i++) {
            total += input.files[i].size;
        }
        if (input.files.length > maxFiles) {
            showClientError(form, form.getAttribute('data-too-many'));
            return false;
        }
        if (total > maxBytes) {
            showClientError(form, form.getAttribute('data-too-large'));
            return false;
        }
        return true;
    }

    function init() {
        var form = document.getElementById('compose-form');
        if (!form || !window.XMLHttpRequest || !window.FormData || !window.DOMParser) {
            return;
        }

        form.addEventListener('submit', function (event) {
            event.preventDefault();
            if (!filesFit(form)) {
                return;
            }

            var box = document.getElementById('upload-progress');
            var bar = document.getElementById('upload-progress-bar');
            var status = document.getElementById('upload-progress-status');
            var button = form.querySelector('button[type="submit"]');
            var uploading = form.getAttribute('data-uploading');

            function setProgress(percent) {
                bar.value = percent;
                bar.textContent = percent + '%';
                status.textContent = format(uploading, percent);
            }

            function fail() {
                status.textContent = form.getAttribute('data-failed');
                form.removeAttribute('aria-busy');
                button.disabled = false;
            }

            box.hidden = false;
            button.disabled = true;
            form.setAttribute('aria-busy', 'true');
            setProgress(0);

            var xhr = new XMLHttpRequest();
            xhr.open('POST', form.action);
            xhr.upload.addEventListener('progress', function (e) {
                if (e.lengthComputable && e.total > 0) {
                    setProgress(Math.min(100, Math.floor(e.loaded * 100 / e.total)));
                }
            });
            xhr.upload.addEventListener('load', function () {
                setProgress(100);
                status.textContent = form.getAttribute('data-processing');
            });
            xhr.addEventListener('error', fail);
            xhr.addEventListener('abort', fail);
            xhr.addEventListener('load', function () {
                var action = new URL(form.action, window.location.href);
                var landed = new URL(xhr.responseURL || form.action, window.location.href);
                if (xhr.status >= 200 && xhr.status < 300 && landed.pathname !== action.pathname) {
                    // Sent: the server redirected (303) to the message page.
                    window.location.assign(landed.href);
                    return;
                }

                // The server answered with a page (the form with its errors, or a refusal): show it in place.
                var page = new DOMParser().parseFromString(xhr.responseText, 'text/html');
                var main = page.getElementById('main');
                var current = document.getElementById('main');
                if (!main || !current) {
                    fail();
                    return;
                }
                current.replaceWith(document.importNode(main, true));
                if (page.title) {
                    document.title = page.title;
                }
                init();
                focusErrorSummary();
            });
            xhr.send(new FormData(form));
        });
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', function () {
            init();
            focusErrorSummary();
        });
    } else {
        init();
        focusErrorSummary();
    }
}());
