using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Localization;

namespace OmePortal.Web.Admin;

/// <summary>The one message each password page shows for a password Identity's validators refused.</summary>
public static class PasswordRules
{
    public static string Message(IStringLocalizer<AdminResource> text, IdentityError error, int minimumLength) =>
        error.Code == CommonPasswordValidator.ErrorCode ? text["PasswordCommon"] : text["NewPasswordLabel", minimumLength];
}
