// Session state: who is signed in, and the sign-in / sign-up / sign-out actions.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router-dom";
import { auth } from "./api/endpoints";
import { setAuthFailureHandler } from "./api/http";
import { getTokens, onTokensChange, setTokens } from "./api/tokens";
import type { Me } from "./api/types";
import { signInUrl } from "./lib/nav";

interface Session {
  me: Me | null;
  signedIn: boolean;
  /** True after the user chose to sign out: sign-in then opens without a page to return to. */
  signedOutByUser: boolean;
  signIn: (email: string, password: string) => Promise<void>;
  signUp: (email: string, password: string, name: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [signedIn, setSignedIn] = useState(getTokens() !== null);
  const [me, setMe] = useState<Me | null>(null);
  const [signedOutByUser, setSignedOutByUser] = useState(false);
  const navigate = useNavigate();

  useEffect(() => onTokensChange((t) => setSignedIn(t !== null)), []);

  useEffect(() => {
    // A failed refresh lands here: go to sign-in and come back to the same page afterwards.
    setAuthFailureHandler(() => {
      // Several requests can fail at once: only the first one may send the user away, or the
      // later ones would replace the sign-in URL and lose the page to come back to.
      if (window.location.pathname.startsWith("/app/signin")) return;
      const here = window.location.pathname + window.location.search;
      navigate(signInUrl(here), { replace: true });
    });
  }, [navigate]);

  useEffect(() => {
    if (!signedIn) {
      setMe(null);
      return;
    }
    auth.me().then(setMe, () => setMe(null));
  }, [signedIn]);

  const signIn = useCallback(async (email: string, password: string) => {
    setTokens(await auth.login(email, password));
    setSignedOutByUser(false);
  }, []);

  const signUp = useCallback(
    async (email: string, password: string, name: string) => {
      await auth.register(email, password, name);
      await signIn(email, password);
    },
    [signIn],
  );

  const signOut = useCallback(async () => {
    const tokens = getTokens();
    try {
      if (tokens) await auth.logout(tokens.refresh);
    } catch {
      // Signing out locally matters more than telling the server; the token expires anyway.
    }
    setSignedOutByUser(true);
    setTokens(null);
    navigate("/app/signin", { replace: true });
  }, [navigate]);

  const value = useMemo(
    () => ({ me, signedIn, signedOutByUser, signIn, signUp, signOut }),
    [me, signedIn, signedOutByUser, signIn, signUp, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const { signedIn, signedOutByUser } = useSession();
  const location = useLocation();
  if (!signedIn) {
    return <Navigate to={signedOutByUser ? "/app/signin" : signInUrl(location.pathname + location.search)} replace />;
  }
  return <>{children}</>;
}
