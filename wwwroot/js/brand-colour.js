// The branding form's colour picker (Admin/Branding/Edit.cshtml): shown only with script, kept in step with the
// #RRGGBB text field beside it, which is the value the form posts.
(() => {
    for (const picker of document.querySelectorAll("input[type=color][data-colour-for]")) {
        const text = document.getElementById(picker.dataset.colourFor);
        if (!text) {
            continue;
        }

        const hex = /^#[0-9a-fA-F]{6}$/;
        picker.hidden = false;
        picker.addEventListener("input", () => { text.value = picker.value.toUpperCase(); });
        text.addEventListener("input", () => {
            const value = text.value.trim();
            if (hex.test(value)) {
                picker.value = value.toLowerCase();
            }
        });
    }
})();
