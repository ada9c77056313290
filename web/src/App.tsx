// Routes: public sign-in pages, and the signed-in app under /app/... (the gateway falls back to index.html there).
import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router-dom";
import { RequireAuth, SessionProvider } from "./auth";
import { Layout } from "./components/Layout";
import { ReadinessGate } from "./components/ReadinessGate";
import { LoadingBlock } from "./components/ui";
import { SignIn, SignUp } from "./pages/Auth";

// Pages load on demand so the sign-in screen does not wait for the chart library.
const Overview = lazy(() => import("./pages/Overview"));
const Upload = lazy(() => import("./pages/Upload"));
const Jobs = lazy(() => import("./pages/Jobs"));
const JobDetail = lazy(() => import("./pages/JobDetail"));
const Forecast = lazy(() => import("./pages/Forecast"));
const Inventory = lazy(() => import("./pages/Inventory"));
const Pricing = lazy(() => import("./pages/Pricing"));
const Customers = lazy(() => import("./pages/Customers"));
const Settings = lazy(() => import("./pages/Settings"));
const Plan = lazy(() => import("./pages/Plan"));
const Calendar = lazy(() => import("./pages/Calendar"));

function NotFound() {
  return (
    <div className="py-16 text-center">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600">
        <a className="text-indigo-600 underline" href="/app/overview">
          Back to the overview
        </a>
      </p>
    </div>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <ReadinessGate>
      <SessionProvider>
        <Suspense fallback={<div className="p-8"><LoadingBlock rows={4} /></div>}>
          <Routes>
            <Route path="/" element={<Navigate to="/app/overview" replace />} />
            <Route path="/app" element={<Navigate to="/app/overview" replace />} />
            <Route path="/app/signin" element={<SignIn />} />
            <Route path="/app/signup" element={<SignUp />} />
            <Route
              path="/app"
              element={
                <RequireAuth>
                  <Layout />
                </RequireAuth>
              }
            >
              <Route path="overview" element={<Overview />} />
              <Route path="upload" element={<Upload />} />
              <Route path="jobs" element={<Jobs />} />
              <Route path="jobs/:jobId" element={<JobDetail />} />
              <Route path="forecast" element={<Forecast />} />
              <Route path="inventory" element={<Inventory />} />
              <Route path="pricing" element={<Pricing />} />
              <Route path="plan" element={<Plan />} />
              <Route path="calendar" element={<Calendar />} />
              <Route path="customers" element={<Customers />} />
              <Route path="settings" element={<Settings />} />
              <Route path="*" element={<NotFound />} />
            </Route>
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </SessionProvider>
      </ReadinessGate>
    </BrowserRouter>
  );
}
