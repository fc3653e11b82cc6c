using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.Access;

/// <summary>POST ends the session on the server (every copy of the cookie stops working); GET confirms.</summary>
public sealed class SignOutModel : PageModel
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await RecipientAuthenticationHandler.SignOutAsync(HttpContext);
        return RedirectToPage();
    }
}
