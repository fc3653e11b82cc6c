using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OmePortal.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RecipientPasskeyLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Method",
                table: "RecipientSessions",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(32)",
                oldMaxLength: 32);

            migrationBuilder.AddColumn<Guid>(
                name: "PasskeyId",
                table: "RecipientSessions",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RegisteredWith",
                table: "PasskeyCredentials",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_RecipientSessions_Address",
                table: "RecipientSessions",
                column: "Address");

            migrationBuilder.CreateIndex(
                name: "IX_RecipientSessions_PasskeyId",
                table: "RecipientSessions",
                column: "PasskeyId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RecipientSessions_Address",
                table: "RecipientSessions");

            migrationBuilder.DropIndex(
                name: "IX_RecipientSessions_PasskeyId",
                table: "RecipientSessions");

            migrationBuilder.DropColumn(
                name: "PasskeyId",
                table: "RecipientSessions");

            migrationBuilder.DropColumn(
                name: "RegisteredWith",
                table: "PasskeyCredentials");

            migrationBuilder.AlterColumn<string>(
                name: "Method",
                table: "RecipientSessions",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);
        }
    }
}
