// App shell: sidebar on desktop, a top bar with a menu button on phones.
import { useEffect, useState, type ReactNode } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { useSession } from "../auth";
import { CurrencyProvider } from "../currency";
import { cx } from "./ui";

const NAV: { to: string; label: string; icon: ReactNode }[] = [
  { to: "/app/overview", label: "Overview", icon: <path d="M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10" /> },
  { to: "/app/upload", label: "Upload", icon: <path d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v4h16v-4" /> },
  { to: "/app/forecast", label: "Forecast", icon: <path d="M3 17l6-6 4 4 8-8M14 7h7v7" /> },
  { to: "/app/calendar", label: "Calendar", icon: <path d="M4 7a2 2 0 012-2h12a2 2 0 012 2v12a2 2 0 01-2 2H6a2 2 0 01-2-2V7zm0 4h16M8 3v4m8-4v4" /> },
  { to: "/app/inventory", label: "Inventory", icon: <path d="M3 7l9-4 9 4-9 4-9-4zm0 0v10l9 4 9-4V7" /> },
  { to: "/app/pricing", label: "Pricing", icon: <path d="M20 12l-8 8-9-9V3h8l9 9zM7.5 7.5h.01" /> },
  { to: "/app/plan", label: "Plan", icon: <path d="M4 19h16M7 16V9m5 7V5m5 11v-4" /> },
  { to: "/app/customers", label: "Customers", icon: <path d="M16 19v-1a4 4 0 00-8 0v1M12 11a3 3 0 100-6 3 3 0 000 6zm7 8v-1a3 3 0 00-2-2.8M17 5.2a3 3 0 010 5.6" /> },
  { to: "/app/jobs", label: "Jobs", icon: <path d="M4 6h16M4 12h16M4 18h10" /> },
  { to: "/app/settings", label: "Settings", icon: <path d="M12 15a3 3 0 100-6 3 3 0 000 6zm7.4-3a7.4 7.4 0 00-.1-1.2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 00-2-1.2L14.5 3h-5l-.4 2.6a7.5 7.5 0 00-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 000 2.4l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 002 1.2l.4 2.6h5l.4-2.6a7.5 7.5 0 002-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z" /> },
];

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5 shrink-0" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round">
      {children}
    </svg>
  );
}

function Logo() {
  return (
    <div className="flex items-center gap-2">
      <svg aria-hidden="true" viewBox="0 0 32 32" className="h-8 w-8">
        <rect width="32" height="32" rx="7" fill="#4f46e5" />
        <path d="M7 22l6-7 5 4 7-9" stroke="#fff" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="text-base font-semibold text-slate-900">SmartRetail AI</span>
    </div>
  );
}

function NavItems({ onNavigate }: { onNavigate?: () => void }) {
  return (
    <ul className="space-y-1">
      {NAV.map((item) => (
        <li key={item.to}>
          <NavLink
            to={item.to}
            onClick={onNavigate}
            className={({ isActive }) =>
              cx(
                "flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium",
                isActive ? "bg-indigo-50 text-indigo-700" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900",
              )
            }
          >
            <Icon>{item.icon}</Icon>
            {item.label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

export function Layout() {
  const { me, signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();

  useEffect(() => setMenuOpen(false), [location.pathname]);
  useEffect(() => {
    if (!menuOpen) return;
    const close = (event: KeyboardEvent) => event.key === "Escape" && setMenuOpen(false);
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [menuOpen]);

  const account = (
    <div className="border-t border-slate-200 pt-4">
      <div className="truncate px-3 text-sm font-medium text-slate-900" data-testid="account-name">
        {me?.name ?? " "}
      </div>
      <div className="truncate px-3 text-xs text-slate-500">{me?.organization_name ?? me?.email ?? ""}</div>
      <button
        type="button"
        onClick={() => void signOut()}
        className="mt-2 w-full rounded-lg px-3 py-2 text-left text-sm font-medium text-slate-700 hover:bg-slate-100"
      >
        Sign out
      </button>
    </div>
  );

  return (
    <div className="min-h-screen lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      {/* The column stretches to the page's full height (its border and background run down long
          pages); its content stays in view while the page scrolls. */}
      <aside className="hidden w-60 shrink-0 border-r border-slate-200 bg-white lg:block" data-testid="sidebar">
        <div className="sticky top-0 flex h-screen flex-col justify-between overflow-y-auto px-3 py-5">
          <div>
            <div className="mb-6 px-3">
              <Logo />
            </div>
            <nav aria-label="Main">
              <NavItems />
            </nav>
          </div>
          {account}
        </div>
      </aside>

      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-slate-200 bg-white/95 px-4 py-3 backdrop-blur lg:hidden">
        <Logo />
        <button
          type="button"
          aria-expanded={menuOpen}
          aria-controls="mobile-menu"
          onClick={() => setMenuOpen((o) => !o)}
          className="inline-flex h-10 w-10 items-center justify-center rounded-lg text-slate-700 hover:bg-slate-100"
        >
          <span className="sr-only">{menuOpen ? "Close menu" : "Open menu"}</span>
          <svg aria-hidden="true" viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round">
            {menuOpen ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M4 7h16M4 12h16M4 17h16" />}
          </svg>
        </button>
      </header>
      {menuOpen && (
        <div id="mobile-menu" className="fixed inset-x-0 top-[65px] bottom-0 z-20 overflow-y-auto bg-white px-3 py-4 lg:hidden">
          <nav aria-label="Main">
            <NavItems onNavigate={() => setMenuOpen(false)} />
          </nav>
          <div className="mt-4">{account}</div>
        </div>
      )}

      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-10 lg:py-8">
        <div className="mx-auto max-w-7xl">
          <CurrencyProvider>
            <Outlet />
          </CurrencyProvider>
        </div>
      </main>
    </div>
  );
}
