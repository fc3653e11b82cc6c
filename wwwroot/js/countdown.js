// Counts down a wait the server stated ([data-countdown] = seconds) and shows the form's button when it is over.
// The page works without this script: the text states the wait and the button stays (the server throttles).
(function () {
    "use strict";

    function words(element, seconds) {
        var minutes = Math.ceil(seconds / 60);
        var template = seconds < 120
            ? (seconds === 1 ? element.dataset.secondOne : element.dataset.secondMany)
            : (minutes === 1 ? element.dataset.minuteOne : element.dataset.minuteMany);
        return template.replace("{0}", String(seconds < 120 ? seconds : minutes));
    }

    function start(element) {
        var form = element.closest("form");
        var button = form ? form.querySelector("[data-countdown-button]") : null;
        var deadline = Date.now() + Number(element.dataset.countdown) * 1000;
        if (button) {
            button.hidden = true;
        }

        function tick() {
            var left = Math.ceil((deadline - Date.now()) / 1000);
            if (left <= 0) {
                element.hidden = true;
                if (button) {
                    button.hidden = false;
                }

                return;
            }

            element.textContent = words(element, left);
            window.setTimeout(tick, ((deadline - Date.now()) % 1000) || 1000);
        }

        tick();
    }

    document.querySelectorAll("[data-countdown]").forEach(start);
})();
