using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.Pages.Admin.Account;

public sealed class SignedOutModel : PageModel
{
    public void OnGet()
    {
    }
}
