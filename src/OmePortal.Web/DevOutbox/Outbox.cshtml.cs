using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OmePortal.Web.DevOutbox;

/// <summary>Lists the mail the portal wrote to its pickup directory. Development only.</summary>
public sealed class OutboxModel(DevOutboxReader reader, IWebHostEnvironment environment) : PageModel
{
    public IReadOnlyList<OutboxEntry> Entries { get; private set; } = [];

    public IActionResult OnGet()
    {
        if (!environment.IsDevelopment())
        {
            return NotFound();
        }

        Entries = reader.List();
        return Page();
    }
}
