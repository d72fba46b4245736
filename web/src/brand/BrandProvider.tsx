import { MantineProvider } from '@mantine/core';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { type Brand, defaultBrand, themeFor } from './brand.ts';

interface BrandContextValue {
  brand: Brand;
  setBrand(brand: Brand): void;
}

const BrandContext = createContext<BrandContextValue>({ brand: defaultBrand, setBrand: () => {} });

/**
 * Supplies the brand in force and the component library's theme in its colours. Nothing is
 * kept in the browser: the brand comes from the API on every load (see App's useConsoleBrand).
 */
export function BrandProvider({ children }: { children: ReactNode }) {
  const [brand, setBrand] = useState<Brand>(defaultBrand);
  const value = useMemo<BrandContextValue>(() => ({ brand, setBrand }), [brand]);
  const theme = useMemo(() => themeFor(brand), [brand]);
  useEffect(() => {
    document.title = brand.productName;
  }, [brand.productName]);
  return (
    <BrandContext.Provider value={value}>
      <MantineProvider theme={theme} defaultColorScheme="light">
        {children}
      </MantineProvider>
    </BrandContext.Provider>
  );
}

export function useBrand(): BrandContextValue {
  return useContext(BrandContext);
}
