import { MantineProvider } from '@mantine/core';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { type Brand, defaultBrand, storeBrand, storedBrand, themeFor } from './brand.ts';

interface BrandContextValue {
  brand: Brand;
  setBrand(brand: Brand): void;
}

const BrandContext = createContext<BrandContextValue>({ brand: defaultBrand, setBrand: () => {} });

/** Supplies the brand in force and the component library's theme in its colours. */
export function BrandProvider({ children }: { children: ReactNode }) {
  const [brand, setBrandState] = useState<Brand>(() => storedBrand());
  const value = useMemo<BrandContextValue>(
    () => ({
      brand,
      setBrand(next) {
        setBrandState(next);
        storeBrand(next);
      },
    }),
    [brand],
  );
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
