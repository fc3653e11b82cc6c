using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OmePortal.Data;
using OmePortal.Web.Audit;

namespace OmePortal.Web.Admin.Account;

/// <summary>
/// Signing out (POST only, with antiforgery): ends the admin's session on the server, so a copy of the
/// cookie signs nobody in any more, then the admin cookies; leaves any recipient session alone.
/// </summary>
public sealed class SignOutModel(AdminSessions sessions, AdminSignInAudit signInAudit, AuditLog audit, UserManager<AdminUser> users) : PageModel
{
    public IActionResult OnGet() => Redirect("/admin");

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var identity = User.AdminIdentity();
        if (AdminSessions.CurrentId(User) is { } sessionId && identity is not null
            && Guid.TryParse(identity.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId)
            && await sessions.EndAsync(sessionId, userId, cancellationToken)
            && await users.FindByIdAsync(userId.ToString()) is { } user
            && await signInAudit.TenantOfAsync(user, cancellationToken) is { } tenantId)
        {
            await audit.RecordAsync(tenantId, AuditEventKind.AdminSessionEnded, user.Email ?? user.Id.ToString(), detail: "signed out", cancellationToken: cancellationToken);
        }

        await HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
        await HttpContext.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        return Redirect("/admin/account/signedout");
    }
}
