using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.Admin.Account;

public sealed class SignedOutModel : PageModel
{
    public void OnGet()
    {
    }
}
