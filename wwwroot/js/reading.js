// Message page and inbox: the portal's own enhancements. Without JavaScript the page still works: the
// body frame keeps a fixed height, there is no Print button (the browser's own print still works) and
// dates stay in UTC, as the server wrote them.
(function () {
    'use strict';

    // The body frame reports its height (BodyDocument.FrameScript); only a number, only from that frame.
    var MIN_HEIGHT = 48;
    var MAX_HEIGHT = 100000;

    function sizeFrames() {
        var frames = document.querySelectorAll('iframe.mail-frame');
        if (frames.length === 0) {
            return;
        }

        window.addEventListener('message', function (event) {
            var data = event.data;
            if (!data || typeof data !== 'object' || typeof data.omeFrameHeight !== 'number' || !isFinite(data.omeFrameHeight)) {
                return;
            }

            for (var i = 0; i < frames.length; i++) {
                // The frame is an opaque origin ("null"), so its window, not its origin, says who sent it.
                if (event.source === frames[i].contentWindow) {
                    var height = Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, Math.ceil(data.omeFrameHeight)));
                    // The report is the document's height; the element's height may include its border.
                    var border = frames[i].offsetHeight - frames[i].clientHeight;
                    frames[i].style.height = (height + Math.max(0, border)) + 'px';
                    frames[i].classList.add('is-sized');
                    return;
                }
            }
        });

        // The frame may have reported before this script ran: ask again, now and after each load.
        for (var j = 0; j < frames.length; j++) {
            ask(frames[j]);
            frames[j].addEventListener('load', ask.bind(null, frames[j]));
        }
    }

    function ask(frame) {
        if (frame.contentWindow) {
            frame.contentWindow.postMessage('ome-report-height', '*');
        }
    }

    function offerPrint() {
        var buttons = document.querySelectorAll('[data-print]');
        for (var i = 0; i < buttons.length; i++) {
            buttons[i].hidden = false;
            buttons[i].addEventListener('click', function () {
                window.print();
            });
        }
    }

    // The page's language, in the reader's own regional form when the browser's matches it (en-GB, nl-BE).
    function locale() {
        var page = (document.documentElement.lang || 'en').toLowerCase();
        var preferred = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || page];
        for (var i = 0; i < preferred.length; i++) {
            if (preferred[i] && preferred[i].toLowerCase().split('-')[0] === page) {
                return preferred[i];
            }
        }
        return page;
    }

    // <time datetime="…Z" data-local="datetime|date">: written in UTC by the server, shown in the reader's time zone here.
    function localTimes() {
        if (typeof Intl === 'undefined' || !Intl.DateTimeFormat) {
            return;
        }

        var lang = locale();
        var formats = {
            datetime: new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
            date: new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric' })
        };
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
        var times = document.querySelectorAll('time[datetime][data-local]');
        for (var i = 0; i < times.length; i++) {
            var format = formats[times[i].getAttribute('data-local')];
            var when = new Date(times[i].getAttribute('datetime'));
            if (!format || isNaN(when.getTime())) {
                continue;
            }

            // The UTC text stays at hand as the tooltip.
            times[i].title = times[i].textContent;
            times[i].textContent = format.format(when);
            times[i].setAttribute('data-zone', zone);
        }
    }

    sizeFrames();
    offerPrint();
    localTimes();
})();
