// The attachment viewer: zoom, "go to page" without a reload, and the page field following the scroll.
// Without script the pages fit the width, the browser zooms, and "go to page" is a GET that lands on the page's anchor.
(function () {
    'use strict';

    var STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

    function setUp() {
        var pages = document.querySelector('[data-preview-pages]');
        if (!pages) {
            return;
        }

        setUpZoom(pages);
        setUpJump(pages);
    }

    function setUpZoom(pages) {
        var zoom = document.querySelector('[data-zoom]');
        var level = document.querySelector('[data-zoom-level]');
        if (!zoom || !level) {
            return;
        }

        var current = 2;
        function apply() {
            var factor = STEPS[current];
            pages.style.setProperty('--preview-zoom', String(factor));
            level.textContent = level.getAttribute('data-template').replace('{0}', String(Math.round(factor * 100)));
            zoom.querySelector('[data-zoom-step="-1"]').disabled = current === 0;
            zoom.querySelector('[data-zoom-step="1"]').disabled = current === STEPS.length - 1;
        }

        zoom.addEventListener('click', function (event) {
            var button = event.target.closest('button');
            if (!button) {
                return;
            }

            if (button.hasAttribute('data-zoom-fit')) {
                current = 2;
            } else {
                current = Math.min(STEPS.length - 1, Math.max(0, current + Number(button.getAttribute('data-zoom-step'))));
            }

            apply();
        });
        zoom.hidden = false;
        apply();
    }

    function setUpJump(pages) {
        var form = document.querySelector('[data-page-jump]');
        if (!form) {
            return;
        }

        var field = form.querySelector('input[name="page"]');
        form.addEventListener('submit', function (event) {
            var number = Math.round(Number(field.value));
            var target = document.getElementById('page-' + number);
            if (!target) {
                return; // the server answers the GET (and clamps it)
            }

            event.preventDefault();
            target.scrollIntoView();
            target.focus({ preventScroll: true });
            if (history.replaceState) {
                history.replaceState(null, '', '#page-' + number);
            }
        });

        // The page field says which page is in view.
        if ('IntersectionObserver' in window) {
            var observer = new IntersectionObserver(function (entries) {
                entries.forEach(function (entry) {
                    if (entry.isIntersecting && document.activeElement !== field) {
                        field.value = entry.target.getAttribute('data-page');
                    }
                });
            }, { rootMargin: '-40% 0px -55% 0px' });
            pages.querySelectorAll('[data-page]').forEach(function (page) { observer.observe(page); });
        }
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', setUp);
    } else {
        setUp();
    }
}());
